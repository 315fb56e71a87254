// Which operation serves which method on which kind of target: the whole control plane in one
// table (as oidcp lists which checks each endpoint runs). A kind without an entry for a method
// answers 405.
import {
  deleteDenyAssignment,
  getDenyAssignment,
  listDenyAssignments,
  putDenyAssignment,
} from './authorization/deny-assignments.js'
import { listPermissions } from './authorization/permissions.js'
import {
  deleteRoleAssignment,
  getRoleAssignment,
  listRoleAssignments,
  putRoleAssignment,
} from './authorization/role-assignments.js'
import {
  deleteRoleDefinition,
  getRoleDefinition,
  listRoleDefinitions,
  putRoleDefinition,
} from './authorization/role-definitions.js'
import type { Operation } from './context.js'
import {
  deleteFederatedCredential,
  getFederatedCredential,
  listFederatedCredentials,
  putFederatedCredential,
} from './managed-identity/federated-credentials.js'
import { getSystemIdentity } from './managed-identity/system-identity.js'
import { getOperationResult } from './resources/operation-results.js'
import {
  deleteResourceGroup,
  getResourceGroup,
  headResourceGroup,
  listResourceGroups,
  patchResourceGroup,
  putResourceGroup,
} from './resources/resource-groups.js'
import { getSubscription, listSubscriptions, listTenants } from './resources/subscriptions.js'
import type { TargetKind } from './target.js'
import {
  deleteResource,
  getResource,
  headResource,
  listResources,
  patchResource,
  putResource,
} from './tracked/operations.js'

type Table = { [K in TargetKind]: Partial<Record<string, Operation<K>>> }

export const OPERATIONS: Table = {
  tenants: { GET: listTenants },
  subscriptions: { GET: listSubscriptions },
  subscription: { GET: getSubscription },
  resourceGroups: { GET: listResourceGroups },
  resourceGroup: {
    PUT: putResourceGroup,
    GET: getResourceGroup,
    HEAD: headResourceGroup,
    PATCH: patchResourceGroup,
    DELETE: deleteResourceGroup,
  },
  operationResult: { GET: getOperationResult },
  resources: { GET: listResources },
  resource: {
    PUT: putResource,
    GET: getResource,
    HEAD: headResource,
    PATCH: patchResource,
    DELETE: deleteResource,
  },
  systemIdentity: { GET: getSystemIdentity },
  federatedCredentials: { GET: listFederatedCredentials },
  federatedCredential: {
    PUT: putFederatedCredential,
    GET: getFederatedCredential,
    DELETE: deleteFederatedCredential,
  },
  roleDefinitions: { GET: listRoleDefinitions },
  roleDefinition: { PUT: putRoleDefinition, GET: getRoleDefinition, DELETE: deleteRoleDefinition },
  roleAssignments: { GET: listRoleAssignments },
  roleAssignment: { PUT: putRoleAssignment, GET: getRoleAssignment, DELETE: deleteRoleAssignment },
  denyAssignments: { GET: listDenyAssignments },
  denyAssignment: { PUT: putDenyAssignment, GET: getDenyAssignment, DELETE: deleteDenyAssignment },
  permissions: { GET: listPermissions },
}

export const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'] as const

export function operationFor(kind: TargetKind, method: string): Operation | undefined {
  return (OPERATIONS[kind] as Partial<Record<string, Operation>>)[method]
}
