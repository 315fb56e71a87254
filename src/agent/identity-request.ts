// Reading a token request of a local workload, one small check per rule of the reference
// (identity-protocols.md §3 IMDS, §4 App Service, §5 Arc; App Service's 2017 protocol below). Pure: headers and query in, a
// validated request out, or the error the endpoint answers.
import type { IncomingHttpHeaders } from 'node:http'
import type { SelectorKind } from '../common/agent-protocol.js'
import { isResourceUri } from '../domain/token-claims.js'
import { parseResourceId } from '../domain/resource-id.js'
import { EndpointErrors } from './endpoint-errors.js'
import { hasMetadataHeader } from './request-guard.js'
import type { Selector } from './token-source.js'

export type ProtocolName = 'imds' | 'appservice' | 'appservice2017' | 'arc' | 'servicefabric'

export interface ProtocolRules {
  name: ProtocolName
  /** Whether `Metadata: true` is required. */
  metadata: boolean
  /** Oldest accepted api-version (dates compare as strings). */
  minApiVersion: string
  /** Newest accepted api-version, when the protocol is frozen at one. */
  maxApiVersion?: string
  /** Query names of the user-assigned selectors. */
  selectors: Readonly<Record<string, SelectorKind>>
  /**
   * How a client asks past the cache: App Service's `token_sha256_to_refresh` (the SHA-256, in
   * hex, of a token it found refused) or IMDS's `bypass_cache=true`.
   */
  forceRefresh?: 'token_sha256_to_refresh' | 'bypass_cache'
}

export const PROTOCOLS: Readonly<Record<ProtocolName, ProtocolRules>> = {
  // IMDS: 2018-02-01 and later; `mi_res_id` is the older docs' name of `msi_res_id`.
  imds: {
    name: 'imds',
    metadata: true,
    minApiVersion: '2018-02-01',
    selectors: {
      client_id: 'clientId',
      object_id: 'objectId',
      msi_res_id: 'resourceId',
      mi_res_id: 'resourceId',
    },
    forceRefresh: 'bypass_cache',
  },
  // App Service and Functions: 2019-08-01, authenticated by X-IDENTITY-HEADER instead.
  appservice: {
    name: 'appservice',
    metadata: false,
    minApiVersion: '2019-08-01',
    selectors: {
      client_id: 'clientId',
      principal_id: 'objectId',
      object_id: 'objectId',
      mi_res_id: 'resourceId',
    },
    forceRefresh: 'token_sha256_to_refresh',
  },
  // App Service's first protocol (MSI_ENDPOINT, MSI_SECRET), on the same listener: 2017-09-01
  // only, authenticated by the `secret` header, `clientid` its only selector ("An older version
  // of this protocol, using the 2017-09-01 API version, used the secret header instead of
  // X-IDENTITY-HEADER and only accepted the clientid property for user-assigned", AppSvc-doc).
  // msal-node sends `Metadata: true` too, az (msrestazure) does not: not required.
  appservice2017: {
    name: 'appservice2017',
    metadata: false,
    minApiVersion: '2017-09-01',
    maxApiVersion: '2017-09-01',
    selectors: { clientid: 'clientId' },
  },
  // Service Fabric: 2019-07-01-preview only ("currently the only accepted value"), over HTTPS,
  // authenticated by the `Secret` header. msal-node and azure-identity (Python) send App
  // Service's selector names; @azure/identity refuses user-assigned ids on this source.
  servicefabric: {
    name: 'servicefabric',
    metadata: false,
    minApiVersion: '2019-07-01',
    maxApiVersion: '2019-07-01',
    selectors: { client_id: 'clientId', object_id: 'objectId', mi_res_id: 'resourceId' },
  },
  // Arc: clients send 2020-06-01, the docs' curl example 2019-11-01.
  arc: {
    name: 'arc',
    metadata: true,
    minApiVersion: '2019-11-01',
    selectors: {
      client_id: 'clientId',
      object_id: 'objectId',
      msi_res_id: 'resourceId',
      mi_res_id: 'resourceId',
    },
  },
}

export interface IdentityQuery {
  apiVersion: string
  resource: string
  selector?: Selector
  /** The name the selector came under, echoed back as is. */
  selectorParam?: string
  /** Asked past the cache; `tokenSha256`: only if the cached token is that one. */
  refresh?: { tokenSha256?: string }
}

const API_VERSION = /^(\d{4}-\d{2}-\d{2})(-preview)?$/
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The protocol's own header check (after request-guard.ts): `Metadata: true` for IMDS and Arc. */
export function checkHeaders(headers: IncomingHttpHeaders, rules: ProtocolRules): void {
  if (rules.metadata && !hasMetadataHeader(headers)) throw EndpointErrors.missingMetadata()
}

/** Query parameters by name; a name given twice is refused (IMDS rejects duplicates). */
export function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(raw)) {
    if (out.has(name)) throw EndpointErrors.duplicateParameter(name)
    out.set(name, value)
  }
  return out
}

function checkApiVersion(query: Map<string, string>, rules: ProtocolRules): string {
  const v = query.get('api-version')
  if (v === undefined || v === '') throw EndpointErrors.missingApiVersion()
  const m = API_VERSION.exec(v)
  if (!m || m[1]! < rules.minApiVersion || (rules.maxApiVersion && m[1]! > rules.maxApiVersion))
    throw EndpointErrors.unsupportedApiVersion(v)
  return v
}

function readResource(query: Map<string, string>): string {
  const r = query.get('resource')
  if (r === undefined || r === '') throw EndpointErrors.missingResource()
  if (!isResourceUri(r)) throw EndpointErrors.invalidResource(r)
  return r
}

function isWellFormed(kind: SelectorKind, value: string): boolean {
  if (kind !== 'resourceId') return GUID.test(value)
  try {
    return parseResourceId(value).kind === 'resource'
  } catch {
    return false
  }
}

function readSelector(query: Map<string, string>, rules: ProtocolRules) {
  const given = Object.keys(rules.selectors).filter((n) => query.get(n))
  if (given.length > 1) throw EndpointErrors.tooManySelectors(Object.keys(rules.selectors))
  const param = given[0]
  if (param === undefined) return {}
  const kind = rules.selectors[param]!
  const value = query.get(param)!
  // A malformed id names no identity: answered here as the server would.
  if (!isWellFormed(kind, value)) throw EndpointErrors.identityNotFound()
  return { selector: { kind, value }, selectorParam: param }
}

const SHA256_HEX = /^[0-9a-f]{64}$/i

function readRefresh(query: Map<string, string>, rules: ProtocolRules) {
  const name = rules.forceRefresh
  const value = name === undefined ? undefined : query.get(name)
  if (value === undefined) return {}
  if (name === 'bypass_cache') {
    if (value === 'false') return {}
    if (value !== 'true') throw EndpointErrors.invalidRefresh(name, "'true' or 'false'")
    return { refresh: {} }
  }
  if (!SHA256_HEX.test(value)) throw EndpointErrors.invalidRefresh(name!, 'a SHA-256 in hex')
  return { refresh: { tokenSha256: value.toLowerCase() } }
}

/** The query of a token request: api-version, resource, at most one selector, a refresh. */
export function readIdentityQuery(rawQuery: string, rules: ProtocolRules): IdentityQuery {
  const query = parseQuery(rawQuery)
  const apiVersion = checkApiVersion(query, rules)
  const resource = readResource(query)
  return Object.freeze({
    apiVersion,
    resource,
    ...readSelector(query, rules),
    ...readRefresh(query, rules),
  })
}

/**
 * readIdentityQuery with the valid queries remembered: a workload repeats the same query string,
 * and parsing it (URLSearchParams, URL, resource ids) is most of a cached answer's cost.
 */
export function createQueryReader(rules: ProtocolRules, capacity = 256) {
  const known = new Map<string, IdentityQuery>()
  return (rawQuery: string): IdentityQuery => {
    const hit = known.get(rawQuery)
    if (hit) return hit
    const query = readIdentityQuery(rawQuery, rules)
    if (known.size >= capacity) known.clear()
    known.set(rawQuery, query)
    return query
  }
}
