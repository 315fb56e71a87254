// Row ⇄ view conversions, in one place.
import type { ResourceGroupRow, ResourceRow, ServicePrincipalRow } from '../store/schema.js'
import type { PrincipalView, ResourceGroupView, Tags } from './views.js'

export const parseJson = <T>(text: string): T => JSON.parse(text) as T

export function groupView(row: ResourceGroupRow): ResourceGroupView {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    name: row.name,
    location: row.location,
    tags: parseJson<Tags>(row.tags),
    managedBy: row.managed_by,
  }
}

export function principalView(row: ServicePrincipalRow, resource?: ResourceRow): PrincipalView {
  return {
    objectId: row.object_id,
    appId: row.app_id,
    tenantId: row.tenant_id,
    displayName: row.display_name,
    servicePrincipalType: row.principal_type,
    alternativeNames: parseJson<string[]>(row.alternative_names),
    identityKind: row.identity_kind,
    resourceId: resource?.id ?? null,
  }
}
