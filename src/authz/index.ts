// The RBAC engine's public surface.
export { createAuthz, type Authz, type AuthzOptions } from './authz.js'
export { AssignmentIndex, type CheckOptions, type IndexedAssignment } from './assignment-index.js'
export { applyEvent, type ChangeEvent } from './apply-event.js'
export { parseAssignmentFilter, parseDefinitionFilter } from './filters.js'
export type { RoleAssignmentInput } from './role-assignments.js'
export type { DenyAssignmentInput } from './deny-assignments.js'
export { roleDefinitionNotFound } from './role-definitions.js'
export type { DenyAssignmentView, RoleAssignmentView, RoleDefinitionView } from './rows.js'
