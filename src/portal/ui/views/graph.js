// User-assigned identities and the compute resources they are attached to, drawn as a graph:
// identities on the left, resources on the right, one edge per attachment. Picking an identity
// narrows the picture to it; the same facts are listed as text beside it.
import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { Select } from '../controls.js'
import { UAMI, attachedIdentities, isCompute, same } from '../inventory.js'

const ROW = 56
const WIDTH = 720

export function GraphView({ inv }) {
  const [focus, setFocus] = useState('')
  const all = inv.resources.filter((r) => r.type === UAMI)
  const identities = focus ? all.filter((i) => same(i.id, focus)) : all
  const edges = []
  for (const r of inv.resources.filter(isCompute)) {
    for (const a of attachedIdentities(r)) {
      if (identities.some((i) => same(i.id, a.id))) edges.push({ from: a.id, to: r.id })
    }
  }
  const resources = inv.resources.filter((r) => edges.some((e) => same(e.to, r.id)))
  const height = Math.max(identities.length, resources.length, 1) * ROW + 20
  const yOf = (list, id) => 20 + list.findIndex((x) => same(x.id, id)) * ROW + 18
  const label = `${identities.length} identities, ${resources.length} resources, ${edges.length} attachments`
  return html`<div class="graph">
    <${Select}
      label="Identity"
      name="graph-identity"
      value=${focus}
      onChange=${setFocus}
      options=${[{ value: '', label: 'All identities' }, ...all.map((i) => ({ value: i.id, label: i.name }))]}
    />
    <svg
      role="img"
      aria-labelledby="graph-title"
      data-testid="identity-graph"
      viewBox=${`0 0 ${WIDTH} ${height}`}
      width=${WIDTH}
      height=${height}
    >
      <title id="graph-title">${label}</title>
      ${edges.map(
        (e) =>
          html`<line
            class="edge"
            x1="220"
            y1=${yOf(identities, e.from)}
            x2="480"
            y2=${yOf(resources, e.to)}
          />`,
      )}
      ${identities.map(
        (i, n) =>
          html`<g class="node identity" data-name=${i.name}>
            <rect x="10" y=${20 + n * ROW} width="210" height="36" rx="6" />
            <text x="22" y=${20 + n * ROW + 23}>${i.name}</text>
          </g>`,
      )}
      ${resources.map(
        (r, n) =>
          html`<g class="node compute" data-name=${r.name}>
            <rect x="480" y=${20 + n * ROW} width="220" height="36" rx="6" />
            <text x="492" y=${20 + n * ROW + 23}>${r.name}</text>
          </g>`,
      )}
    </svg>
    <ul class="graph-text" aria-label="Attachments">
      ${identities.map((i) => {
        const to = edges.filter((e) => same(e.from, i.id)).map((e) => e.to.split('/').pop())
        return html`<li>
          <strong>${i.name}</strong>: ${to.length ? to.join(', ') : 'attached to nothing'}
        </li>`
      })}
    </ul>
  </div>`
}
