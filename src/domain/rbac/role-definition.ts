// Validation of custom role definitions as ARM receives them. Codes are Azure's where known:
// RoleDefinitionNameNullOrEmpty, InvalidRoleDefinitionType, MissingAssignableScopes and
// LinkedInvalidPropertyId are asserted by Azure's own SDK tests (azure-sdk-for-net, Authorization
// BasicTests); InvalidActionOrNotAction / InvalidDataActionOrNotDataAction are what ARM answers
// for an unknown operation. Keyless has no operation catalog, so it checks the form only.
import { BadRequest } from '../errors.js'
import { parseScope } from '../resource-id.js'
import { countWildcards } from './action-match.js'
import type { Permission } from './types.js'

/** Limits of the custom-roles doc (https://learn.microsoft.com/azure/role-based-access-control/custom-roles#custom-role-properties). */
export const MAX_ROLE_NAME_LENGTH = 512
export const MAX_ROLE_DESCRIPTION_LENGTH = 2048
/** ARM refuses a permission string with more than one `*` (see actionList). */
export const MAX_WILDCARDS_PER_ACTION = 1

export interface CustomRoleInput {
  roleName: string
  description: string
  permissions: Permission[]
  /** Normalized scope ids, without duplicates. */
  assignableScopes: string[]
}

const invalid = (message: string) => new BadRequest('InvalidRoleDefinition', message)

// `*`, or a namespace-like first segment (or `*`) followed by `/`-separated segments.
const FIRST_SEGMENT = /^(\*|[A-Za-z*][A-Za-z0-9*-]*(\.[A-Za-z0-9*-]+)+|[A-Za-z][A-Za-z0-9-]*\*)$/
const SEGMENT = /^[A-Za-z0-9*._-]+$/

export function isWellFormedAction(action: string): boolean {
  if (action === '*') return true
  const [first, ...rest] = action.split('/')
  return FIRST_SEGMENT.test(first ?? '') && rest.length > 0 && rest.every((s) => SEGMENT.test(s))
}

function actionList(value: unknown, field: keyof Permission, isData: boolean): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw invalid(`permissions.${field} must be an array of strings`)
  const code = isData ? 'InvalidDataActionOrNotDataAction' : 'InvalidActionOrNotAction'
  return value.map((a) => {
    if (typeof a !== 'string' || !isWellFormedAction(a)) {
      throw new BadRequest(
        code,
        `'${String(a)}' does not match any of the actions supported by the providers.`,
      )
    }
    // ARM's answer for `Microsoft.CostManagement/*/query/*` (MicrosoftDocs/azure-docs#74428).
    // One star also bounds what matching one action can cost (action-match.ts).
    if (countWildcards(a) > MAX_WILDCARDS_PER_ACTION) {
      throw new BadRequest(code, `'${a}' contains multiple wildcards. Only one is allowed.`)
    }
    return a
  })
}

/** Validates one permission block (of a custom role or a deny assignment). */
export function validatePermissionBlock(value: unknown): Permission {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('each entry of permissions must be an object')
  }
  const p = value as Record<string, unknown>
  return {
    actions: actionList(p.actions, 'actions', false),
    notActions: actionList(p.notActions, 'notActions', false),
    dataActions: actionList(p.dataActions, 'dataActions', true),
    notDataActions: actionList(p.notDataActions, 'notDataActions', true),
  }
}

function assignableScopes(value: unknown): string[] {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    throw new BadRequest(
      'MissingAssignableScopes',
      'The role definition must have at least one assignable scope.',
    )
  }
  if (!Array.isArray(value)) throw invalid('assignableScopes must be an array of scope ids')
  const out = new Map<string, string>()
  for (const raw of value) {
    let scope
    try {
      scope = parseScope(String(raw))
    } catch {
      throw new BadRequest(
        'LinkedInvalidPropertyId',
        `The scope '${String(raw)}' in assignableScopes is not valid.`,
      )
    }
    // Only built-in roles are assignable everywhere: Azure rejects `/` for custom roles
    // (https://learn.microsoft.com/azure/role-based-access-control/role-definitions#assignablescopes;
    // MicrosoftDocs/azure-docs#16389).
    if (scope.key === '/') {
      throw new BadRequest(
        'InvalidAssignableScopes',
        "The root scope '/' cannot be an assignable scope of a custom role. Use subscriptions, resource groups or resources.",
      )
    }
    if (!out.has(scope.key)) out.set(scope.key, scope.id)
  }
  return [...out.values()]
}

/** Validates the `properties` of a custom role definition PUT. */
export function validateCustomRoleDefinition(properties: unknown): CustomRoleInput {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    throw invalid('the role definition must have properties')
  }
  const p = properties as Record<string, unknown>
  if (typeof p.roleName !== 'string' || p.roleName.trim() === '') {
    throw new BadRequest(
      'RoleDefinitionNameNullOrEmpty',
      'The role definition name cannot be null or empty.',
    )
  }
  if (p.roleName.length > MAX_ROLE_NAME_LENGTH) {
    throw invalid(`the role name must be at most ${MAX_ROLE_NAME_LENGTH} characters long`)
  }
  if (p.type !== undefined && p.type !== null && String(p.type).toLowerCase() !== 'customrole') {
    throw new BadRequest(
      'InvalidRoleDefinitionType',
      `The role definition type '${String(p.type)}' is not valid: only custom roles can be created or updated.`,
    )
  }
  const description = p.description ?? ''
  if (typeof description !== 'string') throw invalid('description must be a string')
  if (description.length > MAX_ROLE_DESCRIPTION_LENGTH) {
    throw invalid(`the description must be at most ${MAX_ROLE_DESCRIPTION_LENGTH} characters long`)
  }
  if (!Array.isArray(p.permissions)) throw invalid('permissions must be an array')
  const permissions = p.permissions.map(validatePermissionBlock)
  if (!permissions.some((b) => b.actions.length > 0 || b.dataActions.length > 0)) {
    throw invalid('a custom role must grant at least one action or data action')
  }
  return {
    roleName: p.roleName.trim(),
    description,
    permissions,
    assignableScopes: assignableScopes(p.assignableScopes),
  }
}
