// What a control-plane URL addresses. Fastify routes are case-sensitive and SDKs send
// `resourceGroups` and `resourcegroups`, `//` for empty scope parts and ids of any depth
// (reference §2), so the router takes every path under /subscriptions (and /providers, for
// Microsoft.Authorization at the root) and this parser, built on the domain's id parser, decides
// what it names. Keywords match case-insensitively.
import { BadRequest } from '../domain/errors.js'
import { parseResourceId, type ResourceId } from '../domain/resource-id.js'
import { parseAuthorizationTarget, type AuthorizationTarget } from './authorization/target.js'
import { ArmErrors } from './errors.js'

export type Target =
  | { kind: 'tenants' }
  | { kind: 'subscriptions' }
  | { kind: 'subscription'; subscriptionId: string }
  | { kind: 'resourceGroups'; subscriptionId: string }
  | { kind: 'resourceGroup'; id: ResourceId }
  | { kind: 'operationResult'; subscriptionId: string; token: string }
  /** A collection: of one type (in a group, a subscription, or under a parent), or of all. */
  | {
      kind: 'resources'
      subscriptionId: string
      resourceGroup?: string
      /** Full type as requested; undefined for `.../resources` (every type). */
      type?: string
      namespace?: string
      parent?: ResourceId
      /** The id of the scope the list is taken at (group, subscription or parent). */
      scope: string
    }
  | { kind: 'resource'; id: ResourceId }
  | { kind: 'systemIdentity'; resource: ResourceId }
  /** A user-assigned identity's federated identity credentials, and one of them by name. */
  | { kind: 'federatedCredentials'; identity: ResourceId }
  | { kind: 'federatedCredential'; identity: ResourceId; name: string }
  /** Microsoft.Authorization extension resources at any scope. */
  | AuthorizationTarget

export type TargetKind = Target['kind']

const SYSTEM_IDENTITY = 'microsoft.managedidentity/identities/default'

/** The request path, %-decoded, with `//` collapsed and no trailing slash. */
export function normalizePath(url: string): string {
  const raw = url.split('?')[0] ?? ''
  // The domain parser owns the rules for encoded slashes and backslashes: let it reject them
  // on the raw form, before decoding would hide them.
  if (/%2f|%5c/i.test(raw)) parseResourceId(raw)
  let path: string
  try {
    path = decodeURIComponent(raw)
  } catch {
    throw new BadRequest(
      'InvalidResourceId',
      `resource id '${raw}' is invalid: it is not %-encoded`,
    )
  }
  path = path.replace(/\/{2,}/g, '/')
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

function subscriptionOf(path: string): string {
  return parseResourceId(path).subscriptionId
}

const FEDERATED = ['providers', 'microsoft.managedidentity', 'userassignedidentities']

/** `{identity}/federatedIdentityCredentials[/{name}]`: a child collection the resource
 * catalog does not hold, because it is stored apart from resources (federated-credentials.ts). */
function parseFederatedCredentialTarget(
  segs: readonly string[],
  lower: readonly string[],
  p: number,
): Target | undefined {
  const under = FEDERATED.every((s, i) => lower[p + i] === s)
  if (!under || lower[p + 4] !== 'federatedidentitycredentials') return undefined
  if (segs.length !== p + 5 && segs.length !== p + 6) return undefined
  const identity = parseResourceId('/' + segs.slice(0, p + 4).join('/'))
  if (segs.length === p + 5) return { kind: 'federatedCredentials', identity }
  return { kind: 'federatedCredential', identity, name: segs[p + 5]! }
}

/** Parses a normalized path; throws the domain's `InvalidResourceId` for malformed ids. */
export function parseTarget(path: string): Target {
  const segs = path.split('/').slice(1)
  const lower = segs.map((s) => s.toLowerCase())
  const authorization = parseAuthorizationTarget(segs)
  if (authorization) return authorization
  if (lower[0] === 'tenants' && segs.length === 1) return { kind: 'tenants' }
  if (lower[0] !== 'subscriptions') throw ArmErrors.noRoute(path)
  if (segs.length === 1) return { kind: 'subscriptions' }
  if (segs.length === 2) return { kind: 'subscription', subscriptionId: subscriptionOf(path) }
  const base = '/' + segs.slice(0, 2).join('/')
  if (segs.length === 3 && lower[2] === 'resourcegroups') {
    return { kind: 'resourceGroups', subscriptionId: subscriptionOf(base) }
  }
  if (segs.length === 4 && lower[2] === 'operationresults') {
    return { kind: 'operationResult', subscriptionId: subscriptionOf(base), token: segs[3]! }
  }
  if (segs.length === 4 && lower[2] === 'resourcegroups') {
    return { kind: 'resourceGroup', id: parseResourceId(path) }
  }
  // {resourceId}/providers/Microsoft.ManagedIdentity/identities/default (an extension resource)
  const ext = lower.lastIndexOf('providers')
  if (ext > 4 && lower.slice(ext + 1).join('/') === SYSTEM_IDENTITY) {
    const resource = parseResourceId('/' + segs.slice(0, ext).join('/'))
    if (resource.kind === 'resource') return { kind: 'systemIdentity', resource }
  }
  const inGroup = lower[2] === 'resourcegroups'
  const p = inGroup ? 4 : 2
  const federated = parseFederatedCredentialTarget(segs, lower, p)
  if (federated) return federated
  if (segs.length === p + 1 && lower[p] === 'resources') {
    const scope = parseResourceId('/' + segs.slice(0, p).join('/'))
    return {
      kind: 'resources',
      subscriptionId: scope.subscriptionId,
      resourceGroup: scope.resourceGroup,
      scope: scope.id,
    }
  }
  const typeAndNames = segs.length - (p + 2)
  if (lower[p] === 'providers' && typeAndNames > 0 && typeAndNames % 2 === 1) {
    // A collection path ends with a type. Parsing it with a placeholder name validates it with
    // exactly the rules of a resource id and yields its type and parent.
    const probe = parseResourceId(`${path}/_`)
    const scope = probe.parent ?? parseResourceId('/' + segs.slice(0, p).join('/'))
    return {
      kind: 'resources',
      subscriptionId: probe.subscriptionId,
      resourceGroup: probe.resourceGroup,
      type: probe.type,
      namespace: probe.namespace,
      parent: probe.parent,
      scope: scope.id,
    }
  }
  return { kind: 'resource', id: parseResourceId(path) }
}
