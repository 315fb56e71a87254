// ARM paths and api-versions the CLI sends (reference/arm-rbac-dataplane.md §2–§3). Names are
// percent-encoded; the server, not the CLI, decides whether a name is valid.
import {
  USER_ASSIGNED_IDENTITIES,
  VIRTUAL_MACHINES,
  WEB_SITES,
  WEB_SITE_SLOTS,
} from '../domain/resource-types.js'

export const RESOURCE_GROUPS_API_VERSION = '2025-04-01'
export const MANAGED_IDENTITY_API_VERSION = '2024-11-30'

/** By resource type, the api-version the CLI speaks. */
export const API_VERSIONS: Readonly<Record<string, string>> = {
  [VIRTUAL_MACHINES]: '2024-07-01',
  [WEB_SITES]: '2024-04-01',
  [WEB_SITE_SLOTS]: '2024-04-01',
  [USER_ASSIGNED_IDENTITIES]: MANAGED_IDENTITY_API_VERSION,
}

const e = encodeURIComponent

export function subscriptionPath(subscriptionId: string): string {
  return `/subscriptions/${e(subscriptionId)}`
}

/** arm-resources' spelling: lower-case `resourcegroups`. */
export function groupPath(subscriptionId: string, group: string): string {
  return `${subscriptionPath(subscriptionId)}/resourcegroups/${e(group)}`
}

function scopePath(subscriptionId: string, group: string | undefined): string {
  const sub = subscriptionPath(subscriptionId)
  return group === undefined ? sub : `${sub}/resourceGroups/${e(group)}`
}

/**
 * `type` `Ns/a/b` with names `[x, y]` gives `/providers/Ns/a/x/b/y`; with one name fewer it
 * is the collection of `b` under `a/x`.
 */
function providerPath(type: string, names: readonly string[]): string {
  const [namespace, ...types] = type.split('/')
  if (names.length !== types.length && names.length !== types.length - 1) {
    throw new TypeError(`type '${type}' takes ${types.length} names, got ${names.length}`)
  }
  const parts = types.flatMap((t, i) => (i < names.length ? [t, e(names[i]!)] : [t]))
  return `/providers/${namespace}/${parts.join('/')}`
}

export function resourcePath(
  subscriptionId: string,
  group: string,
  type: string,
  names: readonly string[],
): string {
  return scopePath(subscriptionId, group) + providerPath(type, names)
}

/** A collection: in a group, or across the subscription when `group` is undefined. */
export function collectionPath(
  subscriptionId: string,
  group: string | undefined,
  type: string,
  parentNames: readonly string[] = [],
): string {
  return scopePath(subscriptionId, group) + providerPath(type, parentNames)
}

/** A compute resource's system-assigned identity (its id is a resource id, already encoded). */
export function systemIdentityPath(resourceId: string): string {
  return `${resourceId}/providers/Microsoft.ManagedIdentity/identities/default`
}

export function userAssignedIdentityId(
  subscriptionId: string,
  group: string,
  name: string,
): string {
  return resourcePath(subscriptionId, group, USER_ASSIGNED_IDENTITIES, [name])
}

/** The resource group named in an ARM id, if any. */
export function groupOf(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1]
}

/** The last segment of an id: a user-assigned identity's name. */
export function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1)
}
