// Shared setup for the control-plane tests: a real `keyless up`, the operator's management
// token, plain HTTPS helpers that pick each type's api-version, id builders, the Graph read API,
// and a store snapshot (opened beside the running server: SQLite in WAL mode takes readers from
// other processes) to assert that a rejected request changed nothing.
import { join } from 'node:path'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https, type HttpResult } from '../../helpers/https.js'
import { appToken, clientToken } from '../../helpers/tokens.js'
import { openStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/store.js'

export const LOCATION = 'eastus'
/** The audience Azure's management SDKs ask for (Keyless also takes its own endpoint). */
const AZURE_MANAGEMENT = 'https://management.azure.com/'

/** The api-version each provider's SDK sends by default (reference §0). */
export const API_VERSIONS: Record<string, string> = {
  'microsoft.managedidentity': '2024-11-30',
  'microsoft.compute': '2024-07-01',
  'microsoft.web': '2024-04-01',
  'microsoft.keyvault': '2023-07-01',
  'microsoft.storage': '2023-05-01',
  'keyless.compute': '2024-01-01',
  'microsoft.resources': '2025-04-01',
}

/** The api-version for a path: that of the last provider it names, else Microsoft.Resources. */
export function apiVersionFor(path: string): string {
  const providers = [...path.matchAll(/\/providers\/([^/]+)/gi)]
  const ns = providers.length ? providers[providers.length - 1]![1]!.toLowerCase() : ''
  return API_VERSIONS[ns] ?? API_VERSIONS['microsoft.resources']!
}

export interface RequestOptions {
  body?: unknown
  /** Sent as is (bad JSON, other types); overrides `body`. */
  raw?: string
  contentType?: string
  /** `null` sends no api-version; a string replaces the default. */
  apiVersion?: string | null
  token?: string | null
  headers?: Record<string, string>
}

export interface Arm {
  k: KeylessProcess
  base: string
  subscriptionId: string
  tenantId: string
  operatorToken: string
  /** A token from the token endpoint for any client and resource. */
  tokenFor(clientId: string, secret: string, resource?: string): Promise<string>
  request(method: string, path: string, o?: RequestOptions): Promise<HttpResult>
  /** GET /v1.0/servicePrincipals/{id}: the principal, or undefined on 404. */
  principal(objectId: string): Promise<any | undefined>
  group(name: string): string
  resource(group: string, type: string, ...names: string[]): string
  identity(group: string, name: string): string
  openStore(): Promise<Store>
  dispose(): Promise<void>
}

export async function startArm(options: Parameters<typeof startKeyless>[0] = {}): Promise<Arm> {
  const k = await startKeyless(options)
  const base = k.endpoints.managementEndpoint
  const subscriptionId = k.endpoints.subscriptionId
  const operatorToken = await appToken(k, AZURE_MANAGEMENT)
  const sub = `/subscriptions/${subscriptionId}`
  const arm: Arm = {
    k,
    base,
    subscriptionId,
    tenantId: k.endpoints.tenantId,
    operatorToken,
    tokenFor: (clientId, secret, resource = AZURE_MANAGEMENT) =>
      clientToken(k, { clientId, clientSecret: secret }, resource),
    async request(method, path, o = {}) {
      const url = new URL(base + path)
      const version = o.apiVersion === undefined ? apiVersionFor(path) : o.apiVersion
      if (version !== null && !url.searchParams.has('api-version')) {
        url.searchParams.set('api-version', version)
      }
      const headers: Record<string, string> = { ...o.headers }
      const token = o.token === undefined ? operatorToken : o.token
      if (token !== null) headers.authorization = `Bearer ${token}`
      const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body))
      if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json'
      // URL keeps `//` and the caller's casing; only the query is rebuilt.
      return https(base + path.split('?')[0] + url.search, { method, headers, body, ca: k.ca })
    },
    async principal(objectId) {
      const res = await https(`${base}/v1.0/servicePrincipals/${objectId}`, {
        headers: { authorization: `Bearer ${operatorToken}` },
        ca: k.ca,
      })
      if (res.status === 404) return undefined
      if (res.status !== 200) throw new Error(`graph GET failed: ${res.status} ${res.text}`)
      return res.json()
    },
    group: (name) => `${sub}/resourceGroups/${name}`,
    resource: (group, type, ...names) => {
      const [ns, ...types] = type.split('/')
      const path = types.map((t, i) => `/${t}/${names[i]}`).join('')
      return `${sub}/resourceGroups/${group}/providers/${ns}${path}`
    },
    identity: (group, name) =>
      `${sub}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
    openStore: () => openStore({ sqliteFile: join(k.dataDir, 'keyless.db') }),
    dispose: () => k.dispose(),
  }
  return arm
}

/** Every durable row a control-plane request could touch, for before/after comparisons. */
export async function storeSnapshot(arm: Arm): Promise<string> {
  const store = await arm.openStore()
  try {
    const all = async <T>(list: (after?: string) => Promise<{ items: T[]; next?: string }>) => {
      const out: T[] = []
      let after: string | undefined
      do {
        const page = await list(after)
        out.push(...page.items)
        after = page.next
      } while (after)
      return out
    }
    const groups = await all((after) =>
      store.resourceGroups.list(arm.subscriptionId, { limit: 1000, after }),
    )
    const resources = await all((after) => store.resources.list({}, { limit: 1000, after }))
    const principals = await all((after) => store.principals.list({ limit: 1000, after }))
    const attachments = []
    for (const r of resources) attachments.push(...(await store.attachments.listByResource(r.key)))
    return JSON.stringify({
      events: await store.events.last(),
      groups,
      resources,
      principals,
      attachments,
    })
  } finally {
    await store.close()
  }
}

export const json = (res: HttpResult) => (res.text === '' ? undefined : res.json())
