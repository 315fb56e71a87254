// Hosts and their agents: each enrolled host, its state and certificate, and the compute
// resources placed on it (a resource that names no host runs on `keyless up`'s local agent).
import { useEffect, useState } from 'preact/hooks'
import { html } from '../html.js'
import { call } from '../api.js'
import { ErrorNote, runner } from '../controls.js'
import { isCompute } from '../inventory.js'

const time = (ms) => (ms ? new Date(ms).toISOString().replace('.000Z', 'Z') : '')

export function HostsView({ inv, version }) {
  const [hosts, setHosts] = useState([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState()
  const run = runner(setBusy, setError)
  useEffect(() => {
    run(async () => setHosts((await call('GET', '/keyless/v1/hosts')).value))
  }, [version])
  const placed = (h) =>
    inv.resources
      .filter(isCompute)
      .filter((r) => (r.properties?.hostId ? r.properties.hostId === h.id : h.isLocal))
      .map((r) => r.name)
  return html`<div aria-busy=${busy}>
    <${ErrorNote} error=${error} />
    <table data-testid="hosts">
      <caption>
        ${hosts.length} hosts
      </caption>
      <thead>
        <tr>
          <th scope="col">Host</th>
          <th scope="col">State</th>
          <th scope="col">Agent</th>
          <th scope="col">Certificate until</th>
          <th scope="col">Resources</th>
        </tr>
      </thead>
      <tbody>
        ${hosts.map(
          (h) =>
            html`<tr>
              <td>${h.name} <code>${h.id.slice(0, 8)}</code></td>
              <td>${h.state}</td>
              <td>${h.isLocal ? 'local (keyless up)' : h.machineId ? 'Arc machine' : 'remote'}</td>
              <td>${time(h.certificateNotAfter)}</td>
              <td>${placed(h).join(', ')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}
