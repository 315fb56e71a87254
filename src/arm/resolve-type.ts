// The resource type a target addresses, checked against the catalog with ARM's answers for what
// it does not serve: an unknown namespace is 400 `InvalidResourceNamespace`, an unknown type in
// a known namespace 404 `InvalidResourceType` (Azure/aci-connector-k8s#13, Azure/acs-engine#4037).
import { BadRequest } from '../domain/errors.js'
import type { ResourceId } from '../domain/resource-id.js'
import {
  lookupResourceType,
  RESOURCE_TYPES,
  type ResourceTypeInfo,
} from '../domain/resource-types.js'
import { ArmErrors } from './errors.js'
import type { Target } from './target.js'

const RESOURCES = 'Microsoft.Resources'
const NAMESPACES = new Set(
  [RESOURCES, ...RESOURCE_TYPES.map((t) => t.namespace)].map((n) => n.toLowerCase()),
)

export function resolveType(type: string, namespace: string, apiVersion: string): ResourceTypeInfo {
  const info = lookupResourceType(type)
  if (info) return info
  if (!NAMESPACES.has(namespace.toLowerCase())) throw ArmErrors.invalidNamespace(namespace)
  throw ArmErrors.invalidResourceType(namespace, type.slice(namespace.length + 1), apiVersion)
}

function resolveResource(id: ResourceId, apiVersion: string): ResourceTypeInfo {
  const info = resolveType(id.type!, id.namespace!, apiVersion)
  if (id.resourceGroup === undefined) {
    throw new BadRequest(
      'InvalidResourceId',
      `resource id '${id.id}' is invalid: resources of type '${info.type}' live in a resource group`,
    )
  }
  return info
}

const AUTHORIZATION_TYPES: Partial<Record<Target['kind'], string>> = {
  roleDefinitions: 'Microsoft.Authorization/roleDefinitions',
  roleDefinition: 'Microsoft.Authorization/roleDefinitions',
  roleAssignments: 'Microsoft.Authorization/roleAssignments',
  roleAssignment: 'Microsoft.Authorization/roleAssignments',
  denyAssignments: 'Microsoft.Authorization/denyAssignments',
  denyAssignment: 'Microsoft.Authorization/denyAssignments',
  permissions: 'Microsoft.Authorization/permissions',
}

/** The type or namespace a target's api-version belongs to, as requested (unchecked). */
export function requestedFamilyOf(target: Target): string {
  const authorization = AUTHORIZATION_TYPES[target.kind]
  if (authorization) return authorization
  switch (target.kind) {
    case 'resource':
      return target.id.type!
    case 'systemIdentity':
    case 'federatedCredentials':
    case 'federatedCredential':
      return 'Microsoft.ManagedIdentity'
    case 'resources':
      return target.type ?? RESOURCES
    default:
      return RESOURCES
  }
}

/** The type (or namespace) whose api-version policy applies; throws for unknown types. */
export function apiFamilyOf(target: Target, apiVersion: string): string {
  const authorization = AUTHORIZATION_TYPES[target.kind]
  if (authorization) return authorization
  switch (target.kind) {
    case 'resource':
      return resolveResource(target.id, apiVersion).type
    case 'systemIdentity':
      resolveResource(target.resource, apiVersion)
      return 'Microsoft.ManagedIdentity'
    case 'federatedCredentials':
    case 'federatedCredential':
      resolveResource(target.identity, apiVersion)
      return 'Microsoft.ManagedIdentity'
    case 'resources':
      if (target.type === undefined) return RESOURCES
      if (target.parent) resolveResource(target.parent, apiVersion)
      return resolveType(target.type, target.namespace!, apiVersion).type
    default:
      return RESOURCES
  }
}
