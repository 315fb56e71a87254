// Shared setup for the vault tests: a real `keyless up`, web apps with system-assigned identities
// on an enrolled test host (tokens come from the token endpoint exactly as an agent asks for
// them), role assignments, SecretClients and raw HTTPS.
//
// The vault is the one `keyless up` serves once the composition root starts it (ARM then returns
// `properties.vaultUri`). Until then (`mode: 'harness'`) the tests start the vault service in this
// process over the same SQLite file, with a JWKS verifier, the RBAC rules of domain/rbac and the
// server's TLS certificate, so the same tests run against the same code either way.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request as httpsRequest, type Agent } from 'node:https'
import { join } from 'node:path'
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets'
import { createLocalJWKSet, errors, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose'
import { TokenRejected, type VerifiedClaims } from '../../../src/common/access-token.js'
import { createVaultService, type VaultService } from '../../../src/dataplane/vault/index.js'
import type { VaultOptions } from '../../../src/dataplane/vault/options.js'
import type { AuthorizeDataAction, DataDecision } from '../../../src/dataplane/options.js'
import { createDirectory } from '../../../src/directory/create-directory.js'
import { BUILT_IN_ROLES, createRoleCatalog, evaluate } from '../../../src/domain/rbac/index.js'
import { sameAudience } from '../../../src/domain/token-claims.js'
import { openStore } from '../../../src/store/index.js'
import { decryptPrivateKey } from '../../../src/sts/key-material.js'
import type { Store } from '../../../src/store/store.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https, type HttpResult } from '../../helpers/https.js'
import { arm, enroll, identityToken, operatorToken, type TestHost } from '../hosts/hosts.config.js'

export const VAULT_RESOURCE = 'https://vault.azure.net'
export const ROLES = {
  officer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  user: '4633458b-17de-408a-b874-0445c86b69e6',
  kvReader: '21090545-7ca7-4776-b22c-e363652d74d2',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
} as const
const AUTHZ_API = 'api-version=2022-04-01'

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
  mode: 'served' | 'harness'
  call: ReturnType<typeof arm>
  rg: string
  host: TestHost
  /** The harness's store (harness mode), or a second handle on the same file. */
  store: Store
  createVault(name: string, properties?: Record<string, unknown>): Promise<Vault>
  deleteVault(id: string): Promise<void>
  /** A web app with a system-assigned identity, on the test host (or the local agent). */
  createWorkload(name: string, options?: { local?: boolean }): Promise<Workload>
  deleteWorkload(id: string): Promise<void>
  token(w: Workload, resource?: string): Promise<string>
  credential(w: Workload): TokenCredential
  client(vaultUrl: string, w: Workload, options?: SecretClientOptions): SecretClient
  /** Returns the assignment's ARM id. */
  assign(scope: string, role: string, principalId: string): Promise<string>
  unassign(assignmentId: string): Promise<void>
  startHarness(options?: Partial<VaultOptions>): Promise<VaultService>
  /** Stops the harness that serves the vaults and starts a new one (harness mode). */
  restartHarness(): Promise<VaultService>
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

/** The server's verifier, rebuilt from outside: JWKS over HTTPS, issuer, lifetime, audience. */
function jwksVerifier(k: KeylessProcess) {
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined
  let algorithms: string[] = []
  const load = async () => {
    const set = (await https(k.endpoints.jwksUri, { ca: k.ca })).json() as JSONWebKeySet
    algorithms = [...new Set(set.keys.map((key) => key.alg!))]
    jwks = createLocalJWKSet(set)
  }
  return async (token: string, audiences: readonly string[]): Promise<VerifiedClaims> => {
    if (jwks === undefined) await load()
    let payload: VerifiedClaims
    try {
      payload = (await jwtVerify(token, jwks!, { algorithms, clockTolerance: 300, typ: 'JWT' }))
        .payload as VerifiedClaims
    } catch (e) {
      if (e instanceof errors.JWTExpired)
        throw new TokenRejected('expired', 'the token has expired')
      if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') {
        throw new TokenRejected('not-yet-valid', 'the token is not valid yet')
      }
      if (
        e instanceof errors.JWKSNoMatchingKey ||
        e instanceof errors.JWSSignatureVerificationFailed
      ) {
        throw new TokenRejected('signature', 'the token signature is invalid')
      }
      throw new TokenRejected('malformed', 'the token is malformed')
    }
    if (payload.iss !== k.endpoints.issuer) throw new TokenRejected('issuer', 'another issuer')
    if (!audiences.some((a) => sameAudience(a, String(payload.aud)))) {
      throw new TokenRejected('audience', 'another audience')
    }
    return payload
  }
}

/** Azure's decision from the RBAC rules over the store's assignments (no index, no cache). */
function storeAuthorizer(store: Store): AuthorizeDataAction {
  const decide = async (principalId: string, action: string, scope: string) => {
    const rows = (await store.roleAssignments.list({ principalId }, { limit: 1000 })).items
    const assignments = rows.map((r) => ({
      id: r.name,
      scope: r.scope_key,
      principalId: r.principal_id,
      roleDefinitionId: r.role_definition_id,
      condition: r.condition,
    }))
    const d = evaluate(
      { principalId, action, scope, isDataAction: true },
      assignments,
      [],
      createRoleCatalog(BUILT_IN_ROLES),
    )
    const decision: DataDecision = d.allowed
      ? { allowed: true, assignmentId: d.grant.assignmentId, reason: 'Allowed' }
      : { allowed: false, reason: 'DeniedWithNoValidRBAC' }
    return decision
  }
  // The seam's authorize is synchronous (the server's in-memory index); the vault awaits it.
  return decide as unknown as AuthorizeDataAction
}

export async function startVaultEnv(): Promise<VaultEnv> {
  const k = await startKeyless()
  const call = arm(k, await operatorToken(k))
  const join_ = (await call('POST', '/keyless/v1/joinTokens')).json().token as string
  const host = await enroll(k, join_)
  const sub = `/subscriptions/${k.endpoints.subscriptionId}`
  const rg = `${sub}/resourceGroups/vault-rg`
  await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
  const store = await openStore({ sqliteFile: join(k.dataDir, 'keyless.db') })
  const harnesses: VaultService[] = []

  async function startHarness(options: Partial<VaultOptions> = {}): Promise<VaultService> {
    const service = createVaultService({
      verifyToken: jwksVerifier(k),
      authorize: storeAuthorizer(store),
      principalExists: async (oid) => (await store.principals.fetch(oid)) !== undefined,
      directory: createDirectory({
        store,
        clock: { now: () => Date.now() },
        tenantId: k.endpoints.tenantId,
      }),
      store,
      clock: { now: () => Date.now() },
      tenantId: k.endpoints.tenantId,
      authority: () => k.endpoints.authorityHost,
      dataDir: k.dataDir,
      masterKey: Buffer.from(
        readFileSync(join(k.dataDir, 'master.key'), 'utf8').trim(),
        'base64url',
      ),
      tls: {
        keyPem: readFileSync(join(k.dataDir, 'tls.key'), 'utf8'),
        certPem: readFileSync(join(k.dataDir, 'tls.crt'), 'utf8'),
      },
      pollIntervalMs: 200,
      ...options,
    })
    await service.start()
    harnesses.push(service)
    return service
  }

  // Served when ARM reports a vaultUri for a probe vault; else the harness serves the vaults.
  const probe = await call(
    'PUT',
    `${rg}/providers/Microsoft.KeyVault/vaults/probe?api-version=2023-07-01`,
    {
      location: 'eastus',
      properties: { tenantId: k.endpoints.tenantId, sku: { family: 'A', name: 'standard' } },
    },
  )
  const served = typeof probe.json().properties?.vaultUri === 'string'
  const forced = process.env.KEYLESS_VAULT_TEST_MODE
  const mode: VaultEnv['mode'] =
    forced === 'harness' || (!served && forced !== 'served') ? 'harness' : 'served'
  let harness = mode === 'harness' ? await startHarness() : undefined

  const env: VaultEnv = {
    k,
    mode,
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
      if (res.status !== 200 && res.status !== 201) throw new Error(`vault PUT: ${res.text}`)
      const url = harness ? await harness.resolveVaultUri(id) : res.json().properties.vaultUri
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
    async assign(scope, role, principalId) {
      const name = randomUUID()
      const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`
      const res = await call('PUT', `${id}?${AUTHZ_API}`, {
        properties: {
          roleDefinitionId: `/subscriptions/${k.endpoints.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
          principalId,
          principalType: 'ServicePrincipal',
        },
      })
      if (res.status === 201 || res.status === 200) return id
      // Until ARM serves Microsoft.Authorization, the harness writes the row itself.
      if (mode !== 'harness') throw new Error(`role assignment PUT: ${res.status} ${res.text}`)
      await store.roleAssignments.create({
        name,
        scope,
        scope_key: scope.toLowerCase(),
        role_definition_id: role,
        principal_id: principalId,
        principal_type: 'ServicePrincipal',
        description: null,
        condition: null,
        condition_version: null,
        created_at: Date.now(),
        updated_at: Date.now(),
        created_by: null,
      })
      return id
    },
    async unassign(assignmentId) {
      const res = await call('DELETE', `${assignmentId}?${AUTHZ_API}`)
      if (res.status === 200 || res.status === 204) return
      if (mode !== 'harness') throw new Error(`role assignment DELETE: ${res.status} ${res.text}`)
      await store.roleAssignments.delete(assignmentId.split('/').pop()!)
    },
    startHarness,
    async restartHarness() {
      if (harness === undefined) throw new Error('no harness in served mode')
      await harness.stop()
      harnesses.splice(harnesses.indexOf(harness), 1)
      harness = await startHarness()
      return harness
    },
    async dispose() {
      for (const h of harnesses) await h.stop()
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
  if (o.agent === undefined) return https(url, { method: o.method, headers, body, ca: o.ca })
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: o.method ?? 'GET', headers, agent: o.agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text),
        })
      })
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
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
  const masterKey = Buffer.from(
    readFileSync(join(env.k.dataDir, 'master.key'), 'utf8').trim(),
    'base64url',
  )
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
