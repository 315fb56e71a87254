// Rows for the contract suite. Every test makes its own tenant, subscription and group with
// random ids, so tests share one database without seeing each other's rows.
import { randomUUID } from 'node:crypto'
import type {
  NewResourceRow,
  NewServicePrincipalRow,
  Repositories,
  ResourceGroupRow,
  SigningKeyRow,
} from '../index.js'

export const T0 = 1_767_225_600_000

export interface Hierarchy {
  tenantId: string
  subscriptionId: string
  group: ResourceGroupRow
}

export async function seedHierarchy(repos: Repositories): Promise<Hierarchy> {
  const tenantId = randomUUID()
  const subscriptionId = randomUUID()
  await repos.tenants.create({ id: tenantId, display_name: 'Contoso', created_at: T0 })
  await repos.subscriptions.create({
    id: subscriptionId,
    tenant_id: tenantId,
    display_name: 'Dev',
    state: 'Enabled',
    created_at: T0,
  })
  const id = `/subscriptions/${subscriptionId}/resourceGroups/RG-${randomUUID().slice(0, 8)}`
  const group: ResourceGroupRow = {
    key: id.toLowerCase(),
    id,
    subscription_id: subscriptionId,
    name: id.split('/').pop() as string,
    location: 'westeurope',
    tags: '{"env":"dev"}',
    managed_by: null,
    created_at: T0,
    updated_at: T0,
  }
  await repos.resourceGroups.create(group)
  return { tenantId, subscriptionId, group }
}

export const VM = 'Microsoft.Compute/virtualMachines'
export const SITE = 'Microsoft.Web/sites'
export const SLOT = 'Microsoft.Web/sites/slots'
export const UAI = 'Microsoft.ManagedIdentity/userAssignedIdentities'

export function resourceRow(
  h: Hierarchy,
  type: string,
  name: string,
  parent?: NewResourceRow,
): NewResourceRow {
  const id = parent
    ? `${parent.id}/${type.split('/').pop()}/${name}`
    : `${h.group.id}/providers/${type}/${name}`
  return {
    key: id.toLowerCase(),
    id,
    subscription_id: h.subscriptionId,
    group_key: h.group.key,
    parent_key: parent?.key ?? null,
    type,
    type_key: type.toLowerCase(),
    name: parent ? `${parent.name}/${name}` : name,
    kind: type === SITE ? 'app,linux' : null,
    location: 'westeurope',
    tags: '{}',
    properties: '{"vmId":"1"}',
    host_id: null,
    identity_selectors: null,
    created_at: T0,
    updated_at: T0,
  }
}

export function principalRow(
  resource: NewResourceRow | null,
  identityKind: 'SystemAssigned' | 'UserAssigned' | null = 'SystemAssigned',
): NewServicePrincipalRow {
  return {
    object_id: randomUUID(),
    app_id: randomUUID(),
    tenant_id: randomUUID(),
    display_name: resource?.name ?? 'operator',
    principal_type: resource ? 'ManagedIdentity' : 'Application',
    identity_kind: identityKind,
    alternative_names: JSON.stringify(resource ? [`isExplicit=False`, resource.id] : []),
    resource_key: resource?.key ?? null,
    created_at: T0,
  }
}

export function signingKeyRow(expireAt: number): SigningKeyRow {
  return {
    kid: randomUUID(),
    alg: 'RS256',
    public_jwk: '{"kty":"RSA"}',
    private_key_enc: 'eyJhbGciOiJkaXIifQ..iv.ct.tag',
    created_at: expireAt - 4000,
    activate_at: expireAt - 3000,
    retire_at: expireAt - 2000,
    expire_at: expireAt,
  }
}

export const conflict = (message: string) => ({
  name: 'Conflict',
  code: 'Conflict',
  status: 409,
  message,
})
export const DUPLICATE = conflict('an object with the same key already exists')
export const DANGLING = conflict('a related object is missing or still refers to this one')
