// What most views start from: the subscription, its groups and resources, and the principals
// the page can name (every managed identity, and the session's own principal).
import { call, list } from './api.js'

export const UAMI = 'Microsoft.ManagedIdentity/userAssignedIdentities'
export const COMPUTE_TYPES = {
  'Microsoft.Compute/virtualMachines': 'Virtual machine',
  'Microsoft.Web/sites': 'Web app',
  'Keyless.Compute/workloads': 'Workload',
}
export const isCompute = (r) => r.type in COMPUTE_TYPES

export const same = (a, b) => a.toLowerCase() === b.toLowerCase()
export const groupOf = (id) => id.split('/')[4] ?? ''
export const shortId = (id) => (id.length > 13 ? `${id.slice(0, 8)}…` : id)

/** Identities attached to a compute resource: [{ id, name, principalId }]. */
export function attachedIdentities(resource) {
  const uai = resource.identity?.userAssignedIdentities ?? {}
  return Object.entries(uai).map(([id, v]) => ({
    id,
    name: id.split('/').pop(),
    principalId: v?.principalId,
  }))
}

export async function loadInventory(session) {
  const [subscription] = await list('/subscriptions')
  const sub = `/subscriptions/${subscription.subscriptionId}`
  const [groups, resources] = await Promise.all([
    list(`${sub}/resourceGroups`),
    list(`${sub}/resources`),
  ])
  const principals = new Map()
  principals.set(session.principalId, {
    id: session.principalId,
    name: session.displayName,
    kind: session.principalType ?? 'Principal',
  })
  for (const r of resources) {
    if (r.type === UAMI && r.properties?.principalId) {
      principals.set(r.properties.principalId, {
        id: r.properties.principalId,
        name: r.name,
        kind: 'User-assigned identity',
        resourceId: r.id,
      })
    }
    if (r.identity?.principalId) {
      principals.set(r.identity.principalId, {
        id: r.identity.principalId,
        name: `${r.name} (system-assigned)`,
        kind: 'System-assigned identity',
        resourceId: r.id,
      })
    }
  }
  return { subscription, sub, groups, resources, principals }
}

/** A principal's display name, asking Graph for ones the inventory does not know. */
const names = new Map()
export async function principalName(inventory, id) {
  const known = inventory.principals.get(id)
  if (known) return known.name
  if (!names.has(id)) {
    names.set(
      id,
      call('GET', `/v1.0/servicePrincipals/${id}`)
        .then((p) => p?.displayName ?? id)
        .catch(() => id),
    )
  }
  return names.get(id)
}

/** Whether the session's principal may perform `actions` at `scope` (its own check). */
export async function mayPerform(session, actions, scope) {
  const res = await call('POST', '/keyless/v1/checkAccess', {
    principalId: session.principalId,
    actions,
    scope,
  })
  return Object.fromEntries(res.value.map((d) => [d.action, d.allowed]))
}

/** Every scope a view can pick: the root, the subscription, its groups and resources. */
export function scopesOf(inv) {
  return [
    { id: '/', label: '/ (root)' },
    { id: inv.sub, label: `subscription ${inv.subscription.displayName}` },
    ...inv.groups.map((g) => ({ id: g.id, label: `group ${g.name}` })),
    ...inv.resources.map((r) => ({ id: r.id, label: `${groupOf(r.id)} / ${r.name}` })),
  ]
}
