// The resource types Keyless serves. Compute types run code and may hold managed identities
// (docs/architecture.md); `Keyless.Compute/workloads` stands for anything else that runs
// code on a Keyless host.
import { NAME_RULES, type NameRule } from './names.js'
import { parseResourceId, type ResourceId } from './resource-id.js'

export interface ResourceTypeInfo {
  /** Canonical casing, e.g. `Microsoft.Web/sites/slots`. */
  readonly type: string
  /** Lower-cased `type`. */
  readonly key: string
  readonly namespace: string
  /** Runs code, so it may have an `identity` property. */
  readonly isCompute: boolean
  /** Canonical parent type for nested types. */
  readonly parentType?: string
  readonly nameRule: NameRule
}

export const VIRTUAL_MACHINES = 'Microsoft.Compute/virtualMachines'
export const WEB_SITES = 'Microsoft.Web/sites'
export const WEB_SITE_SLOTS = 'Microsoft.Web/sites/slots'
export const USER_ASSIGNED_IDENTITIES = 'Microsoft.ManagedIdentity/userAssignedIdentities'
export const KEY_VAULTS = 'Microsoft.KeyVault/vaults'
export const STORAGE_ACCOUNTS = 'Microsoft.Storage/storageAccounts'
export const WORKLOADS = 'Keyless.Compute/workloads'
/** A machine outside Azure, as Azure Arc represents it: one per enrolled Keyless host. */
export const HYBRID_MACHINES = 'Microsoft.HybridCompute/machines'

function entry(type: string, isCompute: boolean, parentType?: string): ResourceTypeInfo {
  const key = type.toLowerCase()
  const nameRule = NAME_RULES[key]
  if (nameRule === undefined) throw new TypeError(`no naming rule for resource type '${type}'`)
  return Object.freeze({
    type,
    key,
    namespace: type.slice(0, type.indexOf('/')),
    isCompute,
    parentType,
    nameRule,
  })
}

export const RESOURCE_TYPES: readonly ResourceTypeInfo[] = Object.freeze([
  entry(VIRTUAL_MACHINES, true),
  entry(WEB_SITES, true),
  entry(WEB_SITE_SLOTS, true, WEB_SITES),
  entry(USER_ASSIGNED_IDENTITIES, false),
  entry(KEY_VAULTS, false),
  entry(STORAGE_ACCOUNTS, false),
  entry(WORKLOADS, true),
  entry(HYBRID_MACHINES, true),
])

const byKey = new Map(RESOURCE_TYPES.map((t) => [t.key, t]))

/** Case-insensitive lookup; `undefined` for a type Keyless does not serve. */
export function lookupResourceType(type: string): ResourceTypeInfo | undefined {
  return byKey.get(type.toLowerCase())
}

/**
 * The id with namespace and type segments in catalog casing, as ARM returns them whatever casing
 * the request used; names keep their casing. Ids of unknown types come back unchanged.
 */
export function canonicalizeResourceId(rid: ResourceId): ResourceId {
  const info = rid.type === undefined ? undefined : lookupResourceType(rid.type)
  if (info === undefined || info.type === rid.type) return rid
  const [namespace, ...types] = info.type.split('/')
  const group = rid.resourceGroup === undefined ? '' : `/resourceGroups/${rid.resourceGroup}`
  const path = types.map((t, i) => `/${t}/${rid.names[i]}`).join('')
  return parseResourceId(
    `/subscriptions/${rid.subscriptionId}${group}/providers/${namespace}${path}`,
  )
}
