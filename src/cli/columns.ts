// The table columns of each kind of object the CLI prints.
import type { Column } from './output.js'
import { groupOf, lastSegment } from './arm-paths.js'
import type { ArmIdentity } from './identity-args.js'

export interface ArmResource {
  id: string
  name: string
  type?: string
  kind?: string | null
  location?: string
  tags?: Record<string, string>
  properties?: Record<string, unknown>
  identity?: ArmIdentity | null
}

export interface GraphServicePrincipal {
  id: string
  appId: string
  displayName: string
  servicePrincipalType?: string
  alternativeNames?: string[]
}

const tags = (r: ArmResource) =>
  Object.entries(r.tags ?? {})
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join(' ')

export const groupColumns: Column<ArmResource>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Location', value: (r) => r.location },
  { header: 'State', value: (r) => r.properties?.provisioningState },
  { header: 'Tags', value: tags },
]

export function computeColumns(withKind: boolean): Column<ArmResource>[] {
  return [
    { header: 'Name', value: (r) => r.name },
    { header: 'ResourceGroup', value: (r) => groupOf(r.id) },
    { header: 'Location', value: (r) => r.location },
    ...(withKind ? [{ header: 'Kind', value: (r: ArmResource) => r.kind }] : []),
    { header: 'Identity', value: (r) => r.identity?.type ?? 'None' },
    { header: 'PrincipalId', value: (r) => r.identity?.principalId },
    {
      header: 'UserAssigned',
      value: (r) => Object.keys(r.identity?.userAssignedIdentities ?? {}).map(lastSegment),
    },
  ]
}

export const userAssignedIdentityColumns: Column<ArmResource>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'ResourceGroup', value: (r) => groupOf(r.id) },
  { header: 'Location', value: (r) => r.location },
  { header: 'ClientId', value: (r) => r.properties?.clientId },
  { header: 'PrincipalId', value: (r) => r.properties?.principalId },
]

export const servicePrincipalColumns: Column<GraphServicePrincipal>[] = [
  { header: 'DisplayName', value: (p) => p.displayName },
  { header: 'ObjectId', value: (p) => p.id },
  { header: 'AppId', value: (p) => p.appId },
  { header: 'Type', value: (p) => p.servicePrincipalType },
]

/** One row per identity a compute resource holds. */
export interface IdentityRow {
  type: 'SystemAssigned' | 'UserAssigned'
  name: string
  resourceGroup?: string
  principalId?: string
  clientId?: string
}

export const identityRowColumns: Column<IdentityRow>[] = [
  { header: 'Type', value: (r) => r.type },
  { header: 'Name', value: (r) => r.name },
  { header: 'ResourceGroup', value: (r) => r.resourceGroup },
  { header: 'PrincipalId', value: (r) => r.principalId },
  { header: 'ClientId', value: (r) => r.clientId },
]

export function identityRows(
  resource: ArmResource,
  systemClientId: string | undefined,
): IdentityRow[] {
  const identity = resource.identity
  const rows: IdentityRow[] = []
  if (identity?.principalId) {
    rows.push({
      type: 'SystemAssigned',
      name: resource.name,
      resourceGroup: groupOf(resource.id),
      principalId: identity.principalId,
      clientId: systemClientId,
    })
  }
  for (const [id, value] of Object.entries(identity?.userAssignedIdentities ?? {})) {
    rows.push({
      type: 'UserAssigned',
      name: lastSegment(id),
      resourceGroup: groupOf(id),
      principalId: value?.principalId,
      clientId: value?.clientId,
    })
  }
  return rows
}
