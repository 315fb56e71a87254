// The activity log: every control-plane write, refused ones too, with filters.
import { useEffect, useState } from 'preact/hooks'
import { html } from '../html.js'
import { call } from '../api.js'
import { ErrorNote, runner } from '../controls.js'
import { LogFilters, logQuery } from './log-filters.js'

const RESULTS = [
  { value: '', label: 'any' },
  { value: 'succeeded', label: 'succeeded' },
  { value: 'failed', label: 'failed' },
  { value: 'accepted', label: 'accepted' },
]

export function ActivityView({ version }) {
  const [f, setF] = useState({ window: '3600000', identity: '', result: '' })
  const [entries, setEntries] = useState([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState()
  const run = runner(setBusy, setError)
  useEffect(() => {
    run(async () =>
      setEntries((await call('GET', `/keyless/v1/logs/activity?${logQuery(f, Date.now())}`)).value),
    )
  }, [f, version])
  return html`<div aria-busy=${busy}>
    <${LogFilters} f=${f} set=${setF} results=${RESULTS} />
    <${ErrorNote} error=${error} />
    <table data-testid="activity">
      <caption>
        ${entries.length} control-plane writes (newest first)
      </caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Operation</th>
          <th scope="col">Status</th>
          <th scope="col">Caller</th>
          <th scope="col">Scope</th>
          <th scope="col">Correlation id</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (e) =>
            html`<tr class=${e.status === 'Failed' ? 'no' : 'ok'}>
              <td>${e.eventTimestamp}</td>
              <td>${e.operationName}</td>
              <td>${e.status} (${e.httpStatusCode})</td>
              <td><code>${e.caller}</code></td>
              <td><code>${e.scope}</code></td>
              <td><code>${e.correlationId}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}
