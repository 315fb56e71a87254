// The ARM `identity` property of a compute resource request (reference/arm-rbac-dataplane.md §3.1;
// https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/qs-configure-rest-vm).
// This only checks the shape; what a request does to current state is identity-lifecycle.ts.
import { BadRequest } from './errors.js'
import {
  parseProcessSelectors,
  SELECTORS_PROPERTY,
  type ProcessSelectors,
} from './process-selectors.js'
import { parseResourceId, type ResourceId } from './resource-id.js'
import { USER_ASSIGNED_IDENTITIES } from './resource-types.js'

export type IdentityType =
  'None' | 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned, UserAssigned'

export interface UserAssignedChange {
  /** Parsed id of a `Microsoft.ManagedIdentity/userAssignedIdentities` resource. */
  id: ResourceId
  /** `null` in a PATCH: detach it. */
  remove: boolean
  /**
   * `keylessSelectors` of the value (a Keyless extension, process-selectors.ts): `{}` for none.
   * Absent when the value leaves it out: a PUT then means none, a PATCH keeps what is stored.
   */
  selectors?: ProcessSelectors
}

export interface IdentitySpec {
  /** Absent only in a PATCH that does not set the type. */
  type?: IdentityType
  /** Absent when the request has no `userAssignedIdentities`. */
  userAssignedIdentities?: UserAssignedChange[]
  /** `identity.keylessSelectors`, for the system-assigned identity; absent as for a value's. */
  systemSelectors?: ProcessSelectors
}

// Keyless's own code: no public source shows which code ARM returns for an unknown identity
// type (Compute answers InvalidParameter for most identity mistakes, ARM InvalidRequestContent
// for JSON it cannot bind). A specific code is easier to assert and to search for.
const INVALID_TYPE = 'InvalidIdentityType'
// ARM's code for a body it cannot bind to the resource schema.
const INVALID_CONTENT = 'InvalidRequestContent'
// ARM's code for an id that is not one (e.g. "Property id 'x' at path '' is invalid",
// MicrosoftDocs/azure-docs#112377).
const INVALID_LINK = 'LinkedInvalidPropertyId'

const TYPE_NAMES = "'None', 'SystemAssigned', 'UserAssigned' or 'SystemAssigned, UserAssigned'"
const READ_ONLY = new Set(['principalid', 'tenantid'])
const SELECTORS_MEMBER = SELECTORS_PROPERTY.toLowerCase()
const MEMBERS = new Set(['type', 'userassignedidentities', SELECTORS_MEMBER, ...READ_ONLY])
const VALUE_MEMBERS = new Set(['principalid', 'clientid', SELECTORS_MEMBER])

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

export const includesSystemAssigned = (t: IdentityType): boolean => t.startsWith('SystemAssigned')
export const includesUserAssigned = (t: IdentityType): boolean => t.endsWith('UserAssigned')

/** Case- and space-insensitive: `systemassigned,userassigned` is `SystemAssigned, UserAssigned`. */
export function parseIdentityType(raw: unknown): IdentityType {
  const parts = typeof raw === 'string' ? raw.replace(/\s+/g, '').toLowerCase().split(',') : []
  const system = parts.includes('systemassigned')
  const user = parts.includes('userassigned')
  if (parts.length === 1 && parts[0] === 'none') return 'None'
  if (parts.length === 1 && (system || user)) return system ? 'SystemAssigned' : 'UserAssigned'
  if (parts.length === 2 && system && user) return 'SystemAssigned, UserAssigned'
  throw new BadRequest(
    INVALID_TYPE,
    `identity type '${String(raw)}' is invalid: it must be one of ${TYPE_NAMES}`,
    { target: 'identity.type' },
  )
}

function content(message: string, target: string): never {
  throw new BadRequest(INVALID_CONTENT, message, { target })
}

const memberOf = (o: Record<string, unknown>, name: string): unknown =>
  Object.entries(o).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]

function parseUserAssignedKey(key: string): ResourceId {
  let id: ResourceId | undefined
  let cause: unknown
  try {
    id = parseResourceId(key)
  } catch (e) {
    cause = e
  }
  if (id?.type?.toLowerCase() === USER_ASSIGNED_IDENTITIES.toLowerCase()) return id
  throw new BadRequest(
    INVALID_LINK,
    `property id '${key}' at path 'identity.userAssignedIdentities' is invalid: expected the fully qualified id of a '${USER_ASSIGNED_IDENTITIES}' resource`,
    { target: 'identity.userAssignedIdentities', cause },
  )
}

function parseUserAssigned(raw: unknown, mode: 'put' | 'patch'): UserAssignedChange[] {
  const target = 'identity.userAssignedIdentities'
  if (!isObject(raw)) {
    content('identity.userAssignedIdentities must be an object keyed by id', target)
  }
  const seen = new Set<string>()
  return Object.entries(raw).map(([key, value]) => {
    const id = parseUserAssignedKey(key)
    if (seen.has(id.key)) {
      content(`user-assigned identity '${key}' is listed more than once`, target)
    }
    seen.add(id.key)
    if (value === null) {
      if (mode === 'put') {
        content(`user-assigned identity '${key}' is null; null removes only in a PATCH`, target)
      }
      return { id, remove: true }
    }
    // Response bodies carry read-only principalId/clientId; a GET-modify-PUT sends them back.
    if (!isObject(value) || Object.keys(value).some((k) => !VALUE_MEMBERS.has(k.toLowerCase()))) {
      content(`user-assigned identity '${key}' must map to {} or null`, target)
    }
    const raw = memberOf(value, SELECTORS_PROPERTY)
    if (raw === undefined) return { id, remove: false }
    return {
      id,
      remove: false,
      selectors: parseProcessSelectors(raw, `${target}.${SELECTORS_PROPERTY}`),
    }
  })
}

/**
 * Parses `body.identity`. `undefined` when the property is absent or null: a PUT then means
 * `None` and a PATCH leaves the identity alone (identity-lifecycle.ts decides).
 */
export function parseIdentitySpec(
  identity: unknown,
  mode: 'put' | 'patch',
): IdentitySpec | undefined {
  if (identity === undefined || identity === null) return undefined
  if (!isObject(identity)) content('identity must be an object', 'identity')
  for (const k of Object.keys(identity)) {
    if (k.toLowerCase() === 'identityids') {
      content(
        'identity.identityIds (api-version 2017-12-01) is not supported; use userAssignedIdentities',
        'identity',
      )
    }
    if (!MEMBERS.has(k.toLowerCase())) {
      content(`could not find member '${k}' on object of type 'identity'`, 'identity')
    }
  }
  const member = (name: string): unknown => memberOf(identity, name)
  const rawType = member('type')
  const spec: IdentitySpec = {}
  if (rawType !== undefined && rawType !== null) {
    spec.type = parseIdentityType(rawType)
  } else if (mode === 'put') {
    const message = `identity type is required: it must be one of ${TYPE_NAMES}`
    throw new BadRequest(INVALID_TYPE, message, { target: 'identity.type' })
  }
  const rawUser = member('userAssignedIdentities')
  if (rawUser !== undefined && rawUser !== null) {
    spec.userAssignedIdentities = parseUserAssigned(rawUser, mode)
  }
  const rawSelectors = member(SELECTORS_PROPERTY)
  if (rawSelectors !== undefined) {
    spec.systemSelectors = parseProcessSelectors(rawSelectors, `identity.${SELECTORS_PROPERTY}`)
  }
  const listed = spec.userAssignedIdentities?.length ?? 0
  // An empty map alongside a type without UserAssigned is harmless, so it is accepted (Azure
  // Storage rejecting it was reported as a bug: Azure/azure-rest-api-specs#17650).
  if (spec.type !== undefined && !includesUserAssigned(spec.type) && listed > 0) {
    // ARM/MSI's code and wording for this case (Azure/azure-rest-api-specs#17650).
    throw new BadRequest(
      'BadRequest',
      `a non-UserAssigned identity type ('${spec.type}') should not contain userAssignedIdentities`,
      { target: 'identity.userAssignedIdentities' },
    )
  }
  return spec
}
