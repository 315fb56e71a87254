// ARM resource ids and RBAC scopes. ARM compares every part of an id case-insensitively and
// SDKs send both `resourceGroups` and `resourcegroups`, plus `//` where a scope or parent path
// was empty (reference/arm-rbac-dataplane.md §2), so ids are normalized here once: `id` keeps the
// caller's casing with canonical keywords, `key` is its lower-case form for lookups.
import { BadRequest } from './errors.js'
import { foldIdCase } from './printable-names.js'

export type ResourceKind = 'subscription' | 'resourceGroup' | 'resource'

export interface ResourceId {
  /** Normalized id: `//` collapsed, keywords as `/subscriptions/../resourceGroups/../providers/..`. */
  readonly id: string
  /** Lower-cased `id`: compare and look up by this. */
  readonly key: string
  readonly kind: ResourceKind
  readonly subscriptionId: string
  readonly resourceGroup?: string
  /** Provider namespace, e.g. `Microsoft.Web` (kind `resource` only). */
  readonly namespace?: string
  /** Full type, e.g. `Microsoft.Web/sites/slots` (kind `resource` only). */
  readonly type?: string
  /** The last name, e.g. `staging` for a slot (kind `resource` only). */
  readonly name?: string
  /** Every name along the type path, e.g. `['app1', 'staging']`; empty unless kind `resource`. */
  readonly names: string[]
  /** The parent resource of a nested type (`sites/app1` for a slot). */
  readonly parent?: ResourceId
}

export interface Scope {
  /** `/` for the root, else a normalized id like ResourceId's. */
  readonly id: string
  readonly key: string
  readonly segments: string[]
}

const CODE = 'InvalidResourceId'
const SUBSCRIPTION_PREFIX = "it must start with '/subscriptions/{subscriptionId}'"

interface Walk {
  /** Segments with keywords in canonical casing. */
  segments: string[]
  /** Segment counts at which a scope ends (2 = subscription, 4 = group, ...), ascending. */
  boundaries: number[]
  subscriptionId?: string
  resourceGroup?: string
  namespace?: string
  types: string[]
  names: string[]
}

function fail(what: string, raw: string, reason: string): never {
  throw new BadRequest(CODE, `${what} '${raw}' is invalid: ${reason}`)
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

function split(raw: string, what: string): string[] {
  if (typeof raw !== 'string' || raw.length === 0) fail(what, String(raw), 'it is empty')
  if (!raw.startsWith('/')) fail(what, raw, "it must start with '/'")
  if (raw.includes('\\') || /%5c/i.test(raw)) fail(what, raw, 'it contains a backslash')
  if (/%2f/i.test(raw)) fail(what, raw, 'it contains an encoded slash')
  if (raw.includes('?') || raw.includes('#')) fail(what, raw, "it contains '?' or '#'")
  if (hasControlCharacter(raw)) fail(what, raw, 'it contains a control character')
  const collapsed = raw.replace(/\/{2,}/g, '/')
  if (collapsed === '/') return []
  if (collapsed.endsWith('/')) fail(what, raw, 'it ends with a slash')
  const segments = collapsed.slice(1).split('/')
  for (const s of segments) {
    const decoded = s.replace(/%2e/gi, '.')
    if (decoded === '.' || decoded === '..') fail(what, raw, "it contains a '.' or '..' segment")
  }
  return segments
}

const NAMESPACE = /^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)+$/
const TYPE_SEGMENT = /^[A-Za-z][A-Za-z0-9]*$/

// Walks /subscriptions/{s}[/resourceGroups/{rg}][/providers/{Ns}/{type}/{name}[/{type}/{name}]...].
// Scopes also allow the root and, after a `blobs` type, a blob path of any depth.
function walk(segs: string[], raw: string, what: string, isScope: boolean): Walk {
  const w: Walk = { segments: [], boundaries: [], types: [], names: [] }
  const bad = (reason: string): never => fail(what, raw, reason)
  const word = (i: number, reason: string): string => {
    const s = segs[i]
    if (s === undefined) bad(reason)
    if (/\s/.test(s as string)) bad(`segment '${s}' contains whitespace`)
    return s as string
  }
  if (segs.length === 0) {
    if (isScope) return w
    bad(SUBSCRIPTION_PREFIX)
  }
  if (segs[0]?.toLowerCase() !== 'subscriptions') bad(SUBSCRIPTION_PREFIX)
  w.subscriptionId = word(1, 'the subscription id is missing')
  w.segments.push('subscriptions', w.subscriptionId)
  w.boundaries.push(2)
  let i = 2
  if (segs[i]?.toLowerCase() === 'resourcegroups') {
    w.resourceGroup = word(i + 1, 'the resource group name is missing')
    w.segments.push('resourceGroups', w.resourceGroup)
    w.boundaries.push(4)
    i = 4
  }
  if (i === segs.length) return w
  if (segs[i]?.toLowerCase() !== 'providers') {
    bad(`unexpected segment '${segs[i]}' where 'providers' or 'resourceGroups' was expected`)
  }
  const namespace = word(i + 1, 'the resource provider namespace is missing')
  if (!NAMESPACE.test(namespace)) bad(`'${namespace}' is not a resource provider namespace`)
  w.namespace = namespace
  w.segments.push('providers', namespace)
  i += 2
  if (i === segs.length) bad('the resource type is missing')
  while (i < segs.length) {
    const type = word(i, 'the resource type is missing')
    if (type.toLowerCase() === 'providers') {
      bad("extension resource ids (a nested '/providers/') are not accepted here")
    }
    if (!TYPE_SEGMENT.test(type)) bad(`'${type}' is not a resource type`)
    if (isScope && type.toLowerCase() === 'blobs' && i + 1 < segs.length) {
      // A blob name may contain slashes; the whole rest is one name.
      const path = segs.slice(i + 1)
      w.types.push(type)
      w.names.push(path.join('/'))
      w.segments.push(type, ...path)
      w.boundaries.push(w.segments.length)
      return w
    }
    const name = word(i + 1, `the name for resource type '${type}' is missing`)
    w.types.push(type)
    w.names.push(name)
    w.segments.push(type, name)
    w.boundaries.push(w.segments.length)
    i += 2
  }
  return w
}

function toResourceId(w: Walk, depth: number): ResourceId {
  const subscriptionId = w.subscriptionId as string
  const base = w.resourceGroup === undefined ? 2 : 4
  if (depth === 0) {
    const segments = w.segments.slice(0, base)
    const id = '/' + segments.join('/')
    const kind = w.resourceGroup === undefined ? 'subscription' : 'resourceGroup'
    return {
      id,
      key: foldIdCase(id),
      kind,
      subscriptionId,
      resourceGroup: w.resourceGroup,
      names: [],
    }
  }
  const id = '/' + w.segments.slice(0, base + 2 + depth * 2).join('/')
  const names = w.names.slice(0, depth)
  return {
    id,
    key: foldIdCase(id),
    kind: 'resource',
    subscriptionId,
    resourceGroup: w.resourceGroup,
    namespace: w.namespace,
    type: [w.namespace, ...w.types.slice(0, depth)].join('/'),
    name: names[names.length - 1],
    names,
    parent: depth > 1 ? toResourceId(w, depth - 1) : undefined,
  }
}

/** Parses a subscription, resource group or resource id; throws BadRequest `InvalidResourceId`. */
export function parseResourceId(raw: string): ResourceId {
  const w = walk(split(raw, 'resource id'), raw, 'resource id', false)
  return toResourceId(w, w.types.length)
}

/** Parses an RBAC scope: `/`, a subscription, group or resource, or a data-plane sub-scope. */
export function parseScope(raw: string): Scope {
  const w = walk(split(raw, 'scope'), raw, 'scope', true)
  const id = '/' + w.segments.join('/')
  return { id, key: foldIdCase(id), segments: w.segments }
}

/** Keys of the scope itself, then of each enclosing scope up to `/`, cut at type/name pairs. */
export function scopeAncestors(key: string): string[] {
  const w = walk(split(key, 'scope'), key, 'scope', true)
  const prefix = (b: number) => foldIdCase('/' + w.segments.slice(0, b).join('/'))
  const out = w.boundaries.map(prefix).reverse()
  out.push('/')
  return out
}

/** Whether `childKey` is `ancestorKey` or below it. Both must be lower-case scope keys. */
export function isScopeWithin(childKey: string, ancestorKey: string): boolean {
  if (ancestorKey === '/' || childKey === ancestorKey) return true
  return childKey.startsWith(ancestorKey + '/')
}

function keyOf(x: ResourceId | string): string | undefined {
  if (typeof x !== 'string') return x.key
  try {
    return parseResourceId(x).key
  } catch {
    return undefined
  }
}

/** Case-insensitive equality of two ids; an unparseable string equals nothing. */
export function sameResourceId(a: ResourceId | string, b: ResourceId | string): boolean {
  const ka = keyOf(a)
  return ka !== undefined && ka === keyOf(b)
}

// Parts come from route parameters; a slash inside one would shift every later part.
function part(value: string, label: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('/')) {
    throw new BadRequest(
      CODE,
      `${label} '${String(value)}' is invalid: it must be one path segment`,
    )
  }
  return value
}

export function subscriptionId(subscription: string): string {
  return parseResourceId(`/subscriptions/${part(subscription, 'subscription id')}`).id
}

export function resourceGroupId(subscription: string, resourceGroup: string): string {
  const group = part(resourceGroup, 'resource group name')
  return parseResourceId(`${subscriptionId(subscription)}/resourceGroups/${group}`).id
}

export interface ResourceIdParts {
  subscriptionId: string
  resourceGroup?: string
  /** Full type, e.g. `Microsoft.Web/sites/slots`. */
  type: string
  /** One name per type level, e.g. `['app1', 'staging']`. */
  names: readonly string[]
}

/** Builds and validates a resource id from route parameters. */
export function buildResourceId(parts: ResourceIdParts): ResourceId {
  const [namespace, ...types] = parts.type.split('/')
  if (types.length === 0 || types.length !== parts.names.length) {
    throw new BadRequest(
      CODE,
      `resource type '${parts.type}' needs exactly one name per level, got ${parts.names.length}`,
    )
  }
  const scope =
    parts.resourceGroup === undefined
      ? subscriptionId(parts.subscriptionId)
      : resourceGroupId(parts.subscriptionId, parts.resourceGroup)
  const path = types.map((t, i) => `/${part(t, 'resource type')}/${part(parts.names[i]!, 'name')}`)
  return parseResourceId(`${scope}/providers/${part(namespace!, 'namespace')}${path.join('')}`)
}

/**
 * The id as Entra writes it in the `xms_mirid` claim: `resourcegroups` in lower case, everything
 * else as created (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
 */
export function miridForm(resource: ResourceId | string): string {
  const r = typeof resource === 'string' ? parseResourceId(resource) : resource
  if (r.resourceGroup === undefined) return r.id
  const groupPrefix = `/subscriptions/${r.subscriptionId}/resourceGroups/`
  return `/subscriptions/${r.subscriptionId}/resourcegroups/` + r.id.slice(groupPrefix.length)
}
