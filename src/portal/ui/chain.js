// An explanation as a picture: the chain principal → role assignment → role → permission →
// scope that Keyless's checkAccess returns as text, one box per link, arrows between.
import { html } from './html.js'

const BOX_W = 230
const GAP = 40

/** Splits a long link over lines of at most `n` characters, breaking at spaces. */
function lines(text, n = 30) {
  const out = []
  let line = ''
  for (const word of text.split(' ')) {
    const w = word.length > n ? `${word.slice(0, n - 1)}…` : word
    if ((line + ' ' + w).trim().length > n) {
      out.push(line)
      line = w
    } else line = `${line} ${w}`.trim()
  }
  if (line) out.push(line)
  return out.slice(0, 4)
}

export function Chain({ explanation, allowed, label }) {
  const links = explanation.split(' → ')
  const width = links.length * (BOX_W + GAP)
  return html`<svg
    class=${`chain ${allowed ? 'allowed' : 'denied'}`}
    role="img"
    aria-label=${label}
    data-testid="chain"
    viewBox=${`0 0 ${width} 110`}
    width=${width}
    height="110"
  >
    <title>${explanation}</title>
    <defs>
      <marker
        id="arrow"
        viewBox="0 0 10 10"
        refX="9"
        refY="5"
        markerWidth="8"
        markerHeight="8"
        orient="auto"
      >
        <path d="M0,0 L10,5 L0,10 z" />
      </marker>
    </defs>
    ${links.map((link, i) => {
      const x = i * (BOX_W + GAP) + 4
      return html`<g class=${i === links.length - 1 ? 'link last' : 'link'}>
        <rect x=${x} y="8" width=${BOX_W} height="92" rx="8" />
        ${lines(link).map((t, j) => html`<text x=${x + 10} y=${30 + j * 19}>${t}</text>`)}
        ${
          i < links.length - 1 &&
          html`<line
            class="arrow"
            x1=${x + BOX_W}
            y1="54"
            x2=${x + BOX_W + GAP - 2}
            y2="54"
            marker-end="url(#arrow)"
          />`
        }
      </g>`
    })}
  </svg>`
}
