// Shared setup for the RBAC tests: a real `keyless up`, the operator's management token, the
// real @azure/arm-authorization client pointed at Keyless, and workloads: VMs with a
// system-assigned identity on an enrolled test host, whose managed identity gets its management
// token from the host protocol, as an agent would fetch it, so tests act as that identity.
import type { AccessToken, TokenCredential } from '@azure/identity'
import { AuthorizationManagementClient } from '@azure/arm-authorization'
import { randomUUID } from 'node:crypto'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import type { HttpResult } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import { enroll, identityToken, type TestHost } from '../hosts/hosts.config.js'

export const LOCATION = 'eastus'
export const AUTHZ_API = '2022-04-01'
export const MANAGEMENT = 'https://management.azure.com/'

export const ROLES = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
} as const

const API_VERSIONS: [RegExp, string][] = [
  [/\/providers\/Microsoft\.Authorization\//i, AUTHZ_API],
  [/\/providers\/Microsoft\.ManagedIdentity\//i, '2024-11-30'],
  [/\/providers\/Microsoft\.Compute\//i, '2024-07-01'],
]

export interface Workload {
  /** The VM's resource id. */
  id: string
  principalId: string
  /** A fresh management token for the VM's system-assigned identity. */
  token(): Promise<string>
  /** The SDK, signed in as the identity. */
  client(): AuthorizationManagementClient
  /** Plain ARM requests as the identity. */
  request(method: string, path: string, body?: unknown): Promise<HttpResult>
}

export interface Rbac {
  k: KeylessProcess
  base: string
  subscriptionId: string
  sub: string
  operatorToken: string
  operatorId: string
  /** The SDK, signed in as the operator. */
  client: AuthorizationManagementClient
  /** Plain ARM requests (the operator's unless `token` is given); api-version by provider. */
  request(method: string, path: string, body?: unknown, token?: string): Promise<HttpResult>
  group(name: string): Promise<string>
  identity(group: string, name: string): Promise<{ id: string; principalId: string }>
  workload(name: string): Promise<Workload>
  /** Assigns a role through ARM as the operator; returns the assignment's id. */
  assign(scope: string, role: string, principalId: string): Promise<string>
  roleDefinitionId(role: string): string
  dispose(): Promise<void>
}

/** A TokenCredential that hands out one token (fetched anew by `fetch` when given). */
export function staticCredential(token: string | (() => Promise<string>)): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      const value = typeof token === 'string' ? token : await token()
      return { token: value, expiresOnTimestamp: Date.now() + 3_600_000 }
    },
  }
}

function sdk(base: string, subscriptionId: string, credential: TokenCredential) {
  return new AuthorizationManagementClient(credential, subscriptionId, {
    endpoint: base,
    retryOptions: { maxRetries: 0 },
  })
}

function claims(token: string): Record<string, string> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

export async function startRbac(): Promise<Rbac> {
  const k = await startKeyless()
  const base = k.endpoints.managementEndpoint
  const subscriptionId = k.endpoints.subscriptionId
  const sub = `/subscriptions/${subscriptionId}`
  const token = await operatorToken(k)
  let host: TestHost | undefined

  const request = (method: string, path: string, body?: unknown, as = token) => {
    const version = API_VERSIONS.find(([re]) => re.test(path))?.[1] ?? '2025-04-01'
    const url = path.includes('api-version=')
      ? path
      : `${path}${path.includes('?') ? '&' : '?'}api-version=${version}`
    return arm(k, as)(method, url, body)
  }
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await request(method, path, body)
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
    return res.json()
  }
  const hostOnce = async () => {
    if (host) return host
    const join = await request('POST', '/keyless/v1/joinTokens')
    host = await enroll(k, join.json().token)
    return host
  }
  const roleDefinitionId = (role: string) =>
    `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`

  const rbac: Rbac = {
    k,
    base,
    subscriptionId,
    sub,
    operatorToken: token,
    operatorId: claims(token).oid!,
    client: sdk(base, subscriptionId, staticCredential(token)),
    request,
    async group(name) {
      return (await ok('PUT', `${sub}/resourceGroups/${name}`, { location: LOCATION })).id
    },
    async identity(group, name) {
      const id = `${sub}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`
      const body = await ok('PUT', id, { location: LOCATION })
      return { id: body.id, principalId: body.properties.principalId }
    },
    async workload(name) {
      const h = await hostOnce()
      await rbac.group('rbac-hosts')
      const id = `${sub}/resourceGroups/rbac-hosts/providers/Microsoft.Compute/virtualMachines/${name}`
      const vm = await ok('PUT', id, {
        location: LOCATION,
        properties: { hostId: h.hostId },
        identity: { type: 'SystemAssigned' },
      })
      const fetchToken = async () => {
        const res = await identityToken(k, h, id, { scope: `${MANAGEMENT}.default` })
        if (res.status !== 200) throw new Error(`MI token: ${res.status} ${res.text}`)
        return res.json().access_token as string
      }
      return {
        id: vm.id,
        principalId: vm.identity.principalId,
        token: fetchToken,
        client: () => sdk(base, subscriptionId, staticCredential(fetchToken)),
        request: async (method, path, body) => request(method, path, body, await fetchToken()),
      }
    },
    async assign(scope, role, principalId) {
      const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
      await ok('PUT', id, {
        properties: { roleDefinitionId: roleDefinitionId(role), principalId },
      })
      return id
    },
    roleDefinitionId,
    dispose: () => k.dispose(),
  }
  return rbac
}

/** Every item of an SDK list. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of items) out.push(x)
  return out
}

/** The RestError an SDK call throws, for assertions on its status and code. */
export async function restError(p: Promise<unknown>): Promise<{
  statusCode: number
  code: string
  message: string
}> {
  try {
    await p
  } catch (e) {
    return e as { statusCode: number; code: string; message: string }
  }
  throw new Error('the call succeeded')
}

export function authorizationFailed(principalId: string, action: string, scope: string): string {
  return `The client '${principalId}' with object id '${principalId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
}
