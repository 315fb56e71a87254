// The resource tree (subscription → groups → resources, each with its identities) and the forms
// that create and delete groups, identities and compute resources and attach identities.
import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { call } from '../api.js'
import { Check, ErrorNote, Field, Select, runner } from '../controls.js'
import {
  COMPUTE_TYPES,
  UAMI,
  attachedIdentities,
  groupOf,
  isCompute,
  shortId,
} from '../inventory.js'
import { attachBody, detachBody } from '../identity-patch.js'

function Identities({ r }) {
  const items = []
  if (r.identity?.principalId) {
    items.push(
      html`<li>system-assigned · principal <code>${shortId(r.identity.principalId)}</code></li>`,
    )
  }
  for (const i of attachedIdentities(r)) items.push(html`<li>user-assigned · ${i.name}</li>`)
  if (r.type === UAMI) {
    items.push(
      html`<li>
        principal <code>${shortId(r.properties?.principalId ?? '')}</code> · client
        <code>${shortId(r.properties?.clientId ?? '')}</code>
      </li>`,
    )
  }
  return items.length
    ? html`<ul class="identities">
        ${items}
      </ul>`
    : null
}

function Tree({ inv, readOnly, act }) {
  return html`<section aria-labelledby="tree-h">
    <h2 id="tree-h">
      ${inv.subscription.displayName} <code>${inv.subscription.subscriptionId}</code>
    </h2>
    ${inv.groups.length === 0 ? html`<p>No resource groups yet.</p>` : ''}
    <ul class="tree" data-testid="tree">
      ${inv.groups.map((g) => {
        const rs = inv.resources.filter((r) => groupOf(r.id).toLowerCase() === g.name.toLowerCase())
        return html`<li class="group" data-group=${g.name}>
          <span class="node"
            ><span class="kind">group</span> <strong>${g.name}</strong>
            <span class="muted">${g.location}</span> ${
              !readOnly &&
              html`<button
                type="button"
                class="danger"
                aria-label=${`Delete resource group ${g.name}`}
                onClick=${() => act(() => call('DELETE', g.id))}
              >
                Delete
              </button>`
            }</span
          >
          <ul>
            ${rs.map(
              (r) =>
                html`<li class="resource" data-resource=${r.name}>
                  <span class="node"
                    ><span class="kind"
                      >${COMPUTE_TYPES[r.type] ?? (r.type === UAMI ? 'Identity' : r.type.split('/').pop())}</span
                    >
                    ${r.name}
                    ${
                      !readOnly &&
                      html`<button
                        type="button"
                        class="danger"
                        aria-label=${`Delete ${r.name}`}
                        onClick=${() => act(() => call('DELETE', r.id))}
                      >
                        Delete
                      </button>`
                    }</span
                  >
                  <${Identities} r=${r} />
                </li>`,
            )}
          </ul>
        </li>`
      })}
    </ul>
  </section>`
}

function CreateForms({ inv, act }) {
  const groups = inv.groups.map((g) => ({ value: g.name, label: g.name }))
  const identities = inv.resources.filter((r) => r.type === UAMI)
  const compute = inv.resources.filter(isCompute)
  const [group, setGroup] = useState('')
  const [location, setLocation] = useState('eastus')
  const [idGroup, setIdGroup] = useState('')
  const [idName, setIdName] = useState('')
  const [cGroup, setCGroup] = useState('')
  const [cType, setCType] = useState('Microsoft.Compute/virtualMachines')
  const [cName, setCName] = useState('')
  const [cSystem, setCSystem] = useState(true)
  const [cIdentity, setCIdentity] = useState('')
  const [aResource, setAResource] = useState('')
  const [aIdentity, setAIdentity] = useState('')
  const pick = (v, list) => v || list[0]?.value || ''
  const groupPath = (name) => `${inv.sub}/resourceGroups/${name}`
  const submit = (fn) => (e) => {
    e.preventDefault()
    act(fn)
  }
  const identityOptions = [
    { value: '', label: '(none)' },
    ...identities.map((i) => ({ value: i.id, label: i.name })),
  ]
  const computeOptions = compute.map((r) => ({
    value: r.id,
    label: `${groupOf(r.id)} / ${r.name}`,
  }))
  return html`<section aria-labelledby="create-h" class="forms">
    <h2 id="create-h">Create and change</h2>
    <form
      aria-label="Create resource group"
      onSubmit=${submit(() => call('PUT', groupPath(group), { location }))}
    >
      <h3>Resource group</h3>
      <${Field} label="Name" name="group-name" value=${group} onInput=${setGroup} />
      <${Field} label="Location" name="group-location" value=${location} onInput=${setLocation} />
      <button type="submit">Create group</button>
    </form>
    <form
      aria-label="Create identity"
      onSubmit=${submit(() =>
        call('PUT', `${groupPath(pick(idGroup, groups))}/providers/${UAMI}/${idName}`, {
          location,
        }),
      )}
    >
      <h3>User-assigned identity</h3>
      <${Select}
        label="Group"
        name="identity-group"
        value=${pick(idGroup, groups)}
        onChange=${setIdGroup}
        options=${groups}
      />
      <${Field} label="Name" name="identity-name" value=${idName} onInput=${setIdName} />
      <button type="submit">Create identity</button>
    </form>
    <form
      aria-label="Create compute resource"
      onSubmit=${submit(() => {
        const user = cIdentity ? { [cIdentity]: {} } : undefined
        const type =
          cSystem && user
            ? 'SystemAssigned, UserAssigned'
            : cSystem
              ? 'SystemAssigned'
              : user
                ? 'UserAssigned'
                : 'None'
        return call('PUT', `${groupPath(pick(cGroup, groups))}/providers/${cType}/${cName}`, {
          location,
          identity: { type, ...(user && { userAssignedIdentities: user }) },
          properties: {},
        })
      })}
    >
      <h3>Compute resource</h3>
      <${Select}
        label="Group"
        name="compute-group"
        value=${pick(cGroup, groups)}
        onChange=${setCGroup}
        options=${groups}
      />
      <${Select}
        label="Type"
        name="compute-type"
        value=${cType}
        onChange=${setCType}
        options=${Object.entries(COMPUTE_TYPES).map(([value, label]) => ({ value, label }))}
      />
      <${Field} label="Name" name="compute-name" value=${cName} onInput=${setCName} />
      <${Check}
        label="System-assigned identity"
        name="compute-system"
        checked=${cSystem}
        onChange=${setCSystem}
      />
      <${Select}
        label="User-assigned identity"
        name="compute-identity"
        value=${cIdentity}
        onChange=${setCIdentity}
        options=${identityOptions}
      />
      <button type="submit">Create resource</button>
    </form>
    <form aria-label="Attach identity" onSubmit=${(e) => e.preventDefault()}>
      <h3>Attach or detach an identity</h3>
      <${Select}
        label="Resource"
        name="attach-resource"
        value=${pick(aResource, computeOptions)}
        onChange=${setAResource}
        options=${computeOptions}
      />
      <${Select}
        label="Identity"
        name="attach-identity"
        value=${pick(aIdentity, identityOptions.slice(1))}
        onChange=${setAIdentity}
        options=${identityOptions.slice(1)}
      />
      <button
        type="button"
        onClick=${() =>
          act(() => {
            const r = compute.find((x) => x.id === pick(aResource, computeOptions))
            return call('PATCH', r.id, attachBody(r, pick(aIdentity, identityOptions.slice(1))))
          })}
      >
        Attach
      </button>
      <button
        type="button"
        onClick=${() =>
          act(() => {
            const r = compute.find((x) => x.id === pick(aResource, computeOptions))
            return call('PATCH', r.id, detachBody(r, pick(aIdentity, identityOptions.slice(1))))
          })}
      >
        Detach
      </button>
    </form>
  </section>`
}

export function ResourcesView({ inv, readOnly, refresh }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState()
  const run = runner(setBusy, setError)
  const act = (fn) =>
    run(async () => {
      await fn()
      refresh()
    })
  return html`<div class="resources" aria-busy=${busy}>
    <${ErrorNote} error=${error} />
    ${readOnly && html`<p class="note">You can read everything here and change nothing: your role assignments grant no writes.</p>`}
    <div class="columns">
      <${Tree} inv=${inv} readOnly=${readOnly} act=${act} />
      ${!readOnly && html`<${CreateForms} inv=${inv} act=${act} />`}
    </div>
  </div>`
}
