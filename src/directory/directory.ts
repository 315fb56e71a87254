// The directory's public operations (implemented in create-directory.ts). Each write is one
// store transaction that also appends its events; errors are domain KeylessErrors with Azure's
// codes (ResourceGroupNotFound, ResourceNotFound, ParentResourceNotFound, SubscriptionNotFound,
// InvalidResourceName, LinkedInvalidPropertyId, InvalidIdentityType, ...).
import type { ResourceId } from '../domain/resource-id.js'
import type { Page, PageRequest } from '../store/store.js'
import type { FederatedCredentials } from './federated-credentials.js'
import type {
  PrincipalView,
  ResourceGroupView,
  ResourceInput,
  ResourcePatch,
  ResourceView,
  SubscriptionView,
  Tags,
} from './views.js'

export interface ResourceListFilter {
  subscriptionId: string
  /** Restrict to one group (name, any casing). */
  resourceGroup?: string
  /** Full type, any casing, e.g. `Microsoft.Web/sites/slots`. */
  type?: string
  /** Restrict to children of this resource (slots of a site). */
  parent?: ResourceId
}

export interface Directory {
  readonly tenantId: string

  listSubscriptions(): Promise<SubscriptionView[]>
  /** Throws NotFound `SubscriptionNotFound`. */
  getSubscription(subscriptionId: string): Promise<SubscriptionView>

  putResourceGroup(
    subscriptionId: string,
    name: string,
    input: { location: string; tags?: Tags; managedBy?: string | null },
  ): Promise<{ group: ResourceGroupView; created: boolean }>
  patchResourceGroup(
    subscriptionId: string,
    name: string,
    patch: { tags?: Tags; managedBy?: string | null },
  ): Promise<ResourceGroupView>
  /** Throws NotFound `ResourceGroupNotFound`. */
  getResourceGroup(subscriptionId: string, name: string): Promise<ResourceGroupView>
  listResourceGroups(subscriptionId: string, page?: PageRequest): Promise<Page<ResourceGroupView>>
  /** Deletes the group and everything in it (identities, principals, attachments) in one
   * transaction; false when it did not exist. */
  deleteResourceGroup(subscriptionId: string, name: string): Promise<boolean>

  /** Creates or replaces a resource. `id` must be of kind `resource` and a known type. */
  putResource(
    id: ResourceId,
    input: ResourceInput,
  ): Promise<{ resource: ResourceView; created: boolean }>
  /** Throws NotFound `ResourceNotFound` when absent. */
  patchResource(id: ResourceId, patch: ResourcePatch): Promise<ResourceView>
  getResource(id: ResourceId): Promise<ResourceView>
  listResources(filter: ResourceListFilter, page?: PageRequest): Promise<Page<ResourceView>>
  /** False when it did not exist. Deleting a site deletes its slots. */
  deleteResource(id: ResourceId): Promise<boolean>

  /** The system-assigned identity of a compute resource; NotFound when it has none. */
  getSystemIdentity(
    id: ResourceId,
  ): Promise<{ principalId: string; clientId: string; tenantId: string }>

  /** Federated identity credentials of user-assigned identities (federated-credentials.ts). */
  readonly federatedCredentials: FederatedCredentials

  getPrincipal(objectId: string): Promise<PrincipalView | undefined>
  findPrincipalByAppId(appId: string): Promise<PrincipalView | undefined>
}
