// Shared setup for the vault tests: a real `keyless up`, web apps with system-assigned identities
// on an enrolled test host (tokens come from the token endpoint exactly as an agent asks for
// them), role assignments made through ARM, SecretClients and raw HTTPS. The vaults are the ones
// `keyless up` serves, at the `properties.vaultUri` ARM returns; the tests reach the store only
// to read what was persisted.
import type { Agent } from 'node:https'
import { join } from 'node:path'
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets'
import { SignJWT } from 'jose'
import { openStore } from '../../../src/store/index.js'
import { decryptPrivateKey } from '../../../src/sts/key-material.js'
import { signingWrapKey } from '../../helpers/keyless.js'
import type { Store } from '../../../src/store/store.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https, type HttpResult } from '../../helpers/https.js'
import { arm, assignRole, unassignRole } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { enroll, identityToken, type TestHost } from '../hosts/hosts.config.js'

export const VAULT_RESOURCE = 'https://vault.azure.net'
export const ROLES = {
  officer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  user: '4633458b-17de-408a-b874-0445c86b69e6',
  kvReader: '21090545-7ca7-4776-b22c-e363652d74d2',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  cryptoOfficer: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
  cryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424',
  cryptoServiceEncryptionUser: 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
} as const

export interface Workload {
  id: string
  principalId: string
  clientId: string
}

export interface Vault {
  id: string
  url: string
}

export interface VaultEnv {
  k: KeylessProcess
  call: ReturnType<typeof arm>
  rg: string
  host: TestHost
  /** A second handle on the server's SQLite file, to assert persisted state: never written. */
  store: Store
  createVault(name: string, properties?: Record<string, unknown>): Promise<Vault>
  deleteVault(id: string): Promise<void>
  /** A web app with a system-assigned identity, on the test host (or the local agent). */
  createWorkload(name: string, options?: { local?: boolean }): Promise<Workload>
  deleteWorkload(id: string): Promise<void>
  token(w: Workload, resource?: string): Promise<string>
  credential(w: Workload): TokenCredential
  client(vaultUrl: string, w: Workload, options?: SecretClientOptions): SecretClient
  /** Assigns `role` through ARM; returns the assignment's ARM id. */
  assign(scope: string, role: string, principalId: string): Promise<string>
  /** Deletes the assignment through ARM. */
  unassign(assignmentId: string): Promise<void>
  dispose(): Promise<void>
}

/** A TokenCredential that gets managed-identity tokens the way the agent does. */
function hostCredential(k: KeylessProcess, host: TestHost, w: Workload): TokenCredential {
  return {
    async getToken(scopes): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? scopes[0]! : (scopes as string)
      const res = await identityToken(k, host, w.id, { scope })
      if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`)
      const body = res.json()
      return { token: body.access_token, expiresOnTimestamp: Date.now() + body.expires_in * 1000 }
    },
  }
}

export async function startVaultEnv(): Promise<VaultEnv> {
  const k = await startKeyless()
  const call = arm(k, await operatorToken(k))
  const join_ = (await call('POST', '/keyless/v1/joinTokens')).json().token as string
  const host = await enroll(k, join_)
  const sub = `/subscriptions/${k.endpoints.subscriptionId}`
  const rg = `${sub}/resourceGroups/vault-rg`
  const group = await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
  if (group.status !== 200 && group.status !== 201) {
    throw new Error(`resource group PUT: ${group.status} ${group.text}`)
  }
  const store = await openStore({ sqliteFile: join(k.dataDir, 'keyless.db') })
  const env: VaultEnv = {
    k,
    call,
    rg,
    host,
    store,
    async createVault(name, properties = {}) {
      const id = `${rg}/providers/Microsoft.KeyVault/vaults/${name}`
      const res = await call('PUT', `${id}?api-version=2023-07-01`, {
        location: 'eastus',
        properties: {
          tenantId: k.endpoints.tenantId,
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: true,
          ...properties,
        },
      })
      if (res.status !== 200 && res.status !== 201)
        throw new Error(`vault PUT: ${res.status} ${res.text}`)
      // By address: this test process is not under `keyless run`, where vault names resolve.
      const url = res.json().properties?.vaultUriByAddress ?? res.json().properties?.vaultUri
      if (typeof url !== 'string') throw new Error(`no vaultUri for ${id}`)
      return { id: res.json().id, url }
    },
    async deleteVault(id) {
      const res = await call('DELETE', `${id}?api-version=2023-07-01`)
      if (res.status >= 300) throw new Error(`vault DELETE: ${res.status} ${res.text}`)
    },
    async createWorkload(name, options = {}) {
      const id = `${rg}/providers/Microsoft.Web/sites/${name}`
      const res = await call('PUT', `${id}?api-version=2024-04-01`, {
        location: 'eastus',
        kind: 'app,linux',
        identity: { type: 'SystemAssigned' },
        properties: options.local ? {} : { hostId: host.hostId },
      })
      if (res.status !== 201 && res.status !== 200) throw new Error(`site PUT: ${res.text}`)
      const identity = res.json().identity
      const principal = await store.principals.fetch(identity.principalId)
      return { id: res.json().id, principalId: identity.principalId, clientId: principal!.app_id }
    },
    async deleteWorkload(id) {
      const res = await call('DELETE', `${id}?api-version=2024-04-01`)
      if (res.status >= 300) throw new Error(`site DELETE: ${res.status} ${res.text}`)
    },
    async token(w, resource = VAULT_RESOURCE) {
      return (await hostCredential(k, host, w).getToken(`${resource}/.default`))!.token
    },
    credential: (w) => hostCredential(k, host, w),
    client: (vaultUrl, w, options = {}) =>
      new SecretClient(vaultUrl, hostCredential(k, host, w), {
        disableChallengeResourceVerification: true,
        retryOptions: { maxRetries: 0 },
        ...options,
      }),
    assign: (scope, role, principalId) =>
      assignRole(call, k.endpoints.subscriptionId, { scope, role, principalId }),
    unassign: (assignmentId) => unassignRole(call, assignmentId),
    async dispose() {
      await store.close()
      await k.dispose()
    },
  }
  return env
}

/** Plain HTTPS to a vault, with any token, host name, method and body. */
export function vaultRequest(
  url: string,
  o: {
    method?: string
    token?: string
    body?: unknown
    raw?: string
    headers?: Record<string, string>
    ca: string
    agent?: Agent
  },
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...o.headers }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`
  const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body))
  if (body !== undefined) headers['content-type'] ??= 'application/json'
  const connection = o.agent === undefined ? { ca: o.ca } : { agent: o.agent }
  return https(url, { method: o.method, headers, body, ...connection })
}

/** `url` with `api-version` (default the SDK's). */
export const withApi = (url: string, version = '2025-07-01') =>
  `${url}${url.includes('?') ? '&' : '?'}api-version=${version}`

/** The claims of a token, unverified. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

/**
 * Signs any claims with the server's own active signing key, read from the data directory as
 * only the server can: proves that a refusal comes from the claim checks, not the signature.
 */
export async function serverSigner(env: VaultEnv) {
  const masterKey = signingWrapKey(env.k.dataDir)
  const now = Date.now()
  const row = (await env.store.signingKeys.list()).find(
    (r) => r.activate_at <= now && now < r.retire_at,
  )!
  const key = await decryptPrivateKey(row.private_key_enc, masterKey)
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
    sign: (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: row.alg, kid: row.kid, typ: 'JWT', ...header })
        .sign(key),
  }
}
