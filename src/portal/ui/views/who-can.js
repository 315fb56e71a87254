// "Who can do X on Y": every principal the installation knows (identities, and every principal
// with a role assignment) asked through checkAccess, the ones allowed listed with their grant.
import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { call, list } from '../api.js'
import { ErrorNote, Field, Select, runner } from '../controls.js'
import { principalName, scopesOf } from '../inventory.js'

export function WhoCanView({ inv }) {
  const scopes = scopesOf(inv).map((s) => ({ value: s.id, label: s.label }))
  const [action, setAction] = useState('Microsoft.Compute/virtualMachines/write')
  const [scope, setScope] = useState(inv.sub)
  const [rows, setRows] = useState()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState()
  const run = runner(setBusy, setError)
  const submit = (e) => {
    e.preventDefault()
    run(async () => {
      const assigned = await list(`/providers/Microsoft.Authorization/roleAssignments`).catch(
        () => [],
      )
      const ids = new Set([
        ...inv.principals.keys(),
        ...assigned.map((a) => a.properties.principalId),
      ])
      const answers = await Promise.all(
        [...ids].map(async (principalId) => {
          const res = await call('POST', '/keyless/v1/checkAccess', {
            principalId,
            actions: [action],
            scope,
            explain: true,
          })
          const d = res.value[0]
          const via = d.allowed ? (d.explanation.split(' → ')[2] ?? '') : ''
          return {
            principalId,
            name: await principalName(inv, principalId),
            allowed: d.allowed,
            via,
          }
        }),
      )
      setRows(answers.filter((a) => a.allowed))
    })
  }
  return html`<div aria-busy=${busy}>
    <form class="inline" aria-label="Who can" onSubmit=${submit}>
      <${Field} label="Action" name="who-action" value=${action} onInput=${setAction} />
      <${Select}
        label="Scope"
        name="who-scope"
        value=${scope}
        onChange=${setScope}
        options=${scopes}
      />
      <button type="submit">Find</button>
    </form>
    <${ErrorNote} error=${error} />
    ${
      rows &&
      html`<table data-testid="who-can">
        <caption>
          ${rows.length} principals may perform ${action} at ${scope}
        </caption>
        <thead>
          <tr>
            <th scope="col">Principal</th>
            <th scope="col">Through</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr>
                <td>${r.name}</td>
                <td>${r.via}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </div>`
}
