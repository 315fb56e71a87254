// The sign-in log: every token request, issued or refused, with filters, and the chart.
import { useEffect, useState } from 'preact/hooks'
import { html } from '../html.js'
import { call } from '../api.js'
import { ErrorNote, runner } from '../controls.js'
import { LogFilters, logQuery } from './log-filters.js'
import { IssuanceChart } from './issuance-chart.js'

const RESULTS = [
  { value: '', label: 'any' },
  { value: 'success', label: 'issued' },
  { value: 'failure', label: 'refused' },
]

export function SignInsView({ version }) {
  const [f, setF] = useState({ window: '900000', identity: '', result: '' })
  const [data, setData] = useState({ entries: [], since: 0, until: 0 })
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState()
  const run = runner(setBusy, setError)
  useEffect(() => {
    run(async () => {
      const until = Date.now()
      const q = logQuery(f, until)
      const res = await call('GET', `/keyless/v1/logs/signIns?${q}`)
      setData({ entries: res.value, since: until - Number(f.window), until })
    })
  }, [f, version])
  return html`<div aria-busy=${busy}>
    <${LogFilters} f=${f} set=${setF} results=${RESULTS} />
    <${ErrorNote} error=${error} />
    ${data.until > 0 && html`<${IssuanceChart} ...${data} />`}
    <table data-testid="sign-ins">
      <caption>
        ${data.entries.length} token requests (newest first)
      </caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Result</th>
          <th scope="col">Client id</th>
          <th scope="col">Identity</th>
          <th scope="col">Audience</th>
          <th scope="col">Protocol</th>
          <th scope="col">Source</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        ${data.entries.map(
          (e) =>
            html`<tr class=${e.status.errorCode === 0 ? 'ok' : 'no'}>
              <td>${e.createdDateTime}</td>
              <td>${e.status.errorCode === 0 ? 'issued' : `refused (${e.status.errorCode})`}</td>
              <td><code>${e.appId ?? ''}</code></td>
              <td>
                ${e.managedServiceIdentity?.associatedResourceId?.split('/').pop() ?? e.servicePrincipalId ?? ''}
              </td>
              <td>${e.resourceId ?? ''}</td>
              <td>${e.protocol}</td>
              <td>${e.source}${e.isCacheHit ? ' (cache)' : ''}</td>
              <td>${e.status.failureReason ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}
