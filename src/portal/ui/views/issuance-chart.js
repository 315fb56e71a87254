// Token issuance and refusals over time: the sign-ins of the window in equal buckets, issued
// above the axis and refused below, so a burst of refusals stands out at a glance.
import { html } from '../html.js'

const W = 720
const H = 160
const BUCKETS = 30

export function IssuanceChart({ entries, since, until }) {
  const span = Math.max(until - since, 1)
  const issued = new Array(BUCKETS).fill(0)
  const refused = new Array(BUCKETS).fill(0)
  for (const e of entries) {
    const i = Math.min(
      BUCKETS - 1,
      Math.max(0, Math.floor(((Date.parse(e.createdDateTime) - since) / span) * BUCKETS)),
    )
    if (e.status?.errorCode === 0) issued[i]++
    else refused[i]++
  }
  const max = Math.max(1, ...issued, ...refused)
  const bar = W / BUCKETS
  const mid = H / 2
  const scale = (n) => (n / max) * (mid - 14)
  const total = {
    issued: issued.reduce((a, b) => a + b, 0),
    refused: refused.reduce((a, b) => a + b, 0),
  }
  const label = `Token requests over time: ${total.issued} issued, ${total.refused} refused`
  return html`<figure class="chart">
    <svg
      role="img"
      aria-label=${label}
      data-testid="issuance-chart"
      viewBox=${`0 0 ${W} ${H}`}
      width=${W}
      height=${H}
    >
      <title>${label}</title>
      <line class="axis" x1="0" y1=${mid} x2=${W} y2=${mid} />
      ${issued.map((n, i) => n > 0 && html`<rect class="issued" x=${i * bar + 1} y=${mid - scale(n)} width=${bar - 2} height=${scale(n)}><title>${n} issued</title></rect>`)}
      ${refused.map((n, i) => n > 0 && html`<rect class="refused" x=${i * bar + 1} y=${mid} width=${bar - 2} height=${scale(n)}><title>${n} refused</title></rect>`)}
      <text x="4" y="12">issued ↑ (max ${max} per bucket)</text>
      <text x="4" y=${H - 4}>refused ↓</text>
    </svg>
    <figcaption>
      ${label}, from ${new Date(since).toISOString()} to ${new Date(until).toISOString()}
    </figcaption>
  </figure>`
}
