// Role assignments at a scope, inherited ones (made at a scope above) marked with where they
// come from; assignments made here can be deleted, and new ones made, with the right to.
import { useEffect, useState } from 'preact/hooks'
import { html } from '../html.js'
import { call, list } from '../api.js'
import { ErrorNote, Select, runner } from '../controls.js'
import { principalName, scopesOf, same } from '../inventory.js'

const AUTHZ = 'providers/Microsoft.Authorization'
const guidOf = (id) => id.split('/').pop()
const scopePath = (scope) => (scope === '/' ? '' : scope)

/** Whether `outer` is `inner` or one of its ancestors. */
export const covers = (outer, inner) =>
  outer === '/' || same(outer, inner) || inner.toLowerCase().startsWith(`${outer.toLowerCase()}/`)

export function AccessView({ inv, version, refresh, canAssign }) {
  const scopes = scopesOf(inv).map((s) => ({ value: s.id, label: s.label }))
  const [scope, setScope] = useState(inv.sub)
  const [rows, setRows] = useState([])
  const [roles, setRoles] = useState([])
  const [role, setRole] = useState('')
  const principals = [...inv.principals.values()].map((p) => ({
    value: p.id,
    label: `${p.name} (${p.kind})`,
  }))
  const [principal, setPrincipal] = useState(principals[0]?.value ?? '')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState()
  const run = runner(setBusy, setError)

  useEffect(() => {
    run(async () => {
      const [assignments, definitions] = await Promise.all([
        list(`${scopePath(scope)}/${AUTHZ}/roleAssignments`),
        list(`${inv.sub}/${AUTHZ}/roleDefinitions`),
      ])
      const roleName = new Map(definitions.map((d) => [guidOf(d.id), d.properties.roleName]))
      const shown = await Promise.all(
        assignments
          .filter((a) => covers(a.properties.scope, scope))
          .map(async (a) => ({
            id: a.id,
            role:
              roleName.get(guidOf(a.properties.roleDefinitionId)) ??
              guidOf(a.properties.roleDefinitionId),
            principal: await principalName(inv, a.properties.principalId),
            scope: a.properties.scope,
            inherited: !same(a.properties.scope, scope),
          })),
      )
      setRows(shown)
      setRoles(definitions.map((d) => ({ value: guidOf(d.id), label: d.properties.roleName })))
    })
  }, [scope, version])

  const pickedRole = role || roles.find((r) => r.label === 'Reader')?.value || roles[0]?.value
  const create = (e) => {
    e.preventDefault()
    run(async () => {
      await call('PUT', `${scopePath(scope)}/${AUTHZ}/roleAssignments/${crypto.randomUUID()}`, {
        properties: {
          roleDefinitionId: `${inv.sub}/${AUTHZ}/roleDefinitions/${pickedRole}`,
          principalId: principal,
          principalType: 'ServicePrincipal',
        },
      })
      refresh()
    })
  }
  return html`<div aria-busy=${busy}>
    <${Select}
      label="Scope"
      name="access-scope"
      value=${scope}
      onChange=${setScope}
      options=${scopes}
    />
    <${ErrorNote} error=${error} />
    <table data-testid="assignments">
      <caption>
        Role assignments that apply at ${scope}
      </caption>
      <thead>
        <tr>
          <th scope="col">Principal</th>
          <th scope="col">Role</th>
          <th scope="col">Scope</th>
          <th scope="col">Where</th>
          ${canAssign && html`<th scope="col"><span class="sr-only">Actions</span></th>`}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr class=${r.inherited ? 'inherited' : 'direct'}>
              <td>${r.principal}</td>
              <td>${r.role}</td>
              <td><code>${r.scope}</code></td>
              <td>${r.inherited ? html`<span class="badge">inherited</span>` : 'this scope'}</td>
              ${
                canAssign &&
                html`<td>
                  ${
                    !r.inherited &&
                    html`<button
                      type="button"
                      class="danger"
                      aria-label=${`Remove ${r.role} from ${r.principal}`}
                      onClick=${() =>
                        run(async () => {
                          await call('DELETE', r.id)
                          refresh()
                        })}
                    >
                      Remove
                    </button>`
                  }
                </td>`
              }
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      canAssign &&
      html`<form class="inline" aria-label="Assign a role" onSubmit=${create}>
        <h2>Assign a role at this scope</h2>
        <${Select}
          label="Principal"
          name="assign-principal"
          value=${principal}
          onChange=${setPrincipal}
          options=${principals}
        />
        <${Select}
          label="Role"
          name="assign-role"
          value=${pickedRole}
          onChange=${setRole}
          options=${roles}
        />
        <button type="submit">Assign</button>
      </form>`
    }
  </div>`
}
