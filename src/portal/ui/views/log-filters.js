// The filters both log views share: a time window, an identity, a result.
import { html } from '../html.js'
import { Field, Select } from '../controls.js'

export const WINDOWS = [
  { value: '900000', label: 'last 15 minutes' },
  { value: '3600000', label: 'last hour' },
  { value: '86400000', label: 'last day' },
  { value: '2592000000', label: 'last 30 days' },
]

export function LogFilters({ f, set, results }) {
  return html`<form class="inline" aria-label="Filters" onSubmit=${(e) => e.preventDefault()}>
    <${Select}
      label="Time"
      name="log-window"
      value=${f.window}
      onChange=${(v) => set({ ...f, window: v })}
      options=${WINDOWS}
    />
    <${Field}
      label="Identity"
      name="log-identity"
      placeholder="object id or client id"
      value=${f.identity}
      onInput=${(v) => set({ ...f, identity: v })}
    />
    <${Select}
      label="Result"
      name="log-result"
      value=${f.result}
      onChange=${(v) => set({ ...f, result: v })}
      options=${results}
    />
  </form>`
}

export function logQuery(f, now) {
  const q = new URLSearchParams({
    since: new Date(now - Number(f.window)).toISOString(),
    limit: '200',
  })
  if (f.identity.trim()) q.set('identity', f.identity.trim())
  if (f.result) q.set('result', f.result)
  return q
}
