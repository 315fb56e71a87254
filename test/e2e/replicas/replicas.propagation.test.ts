// A change committed through replica A is enforced by replica B: B's ARM, vault, blob and
// token endpoint see a deleted role assignment or a detached identity once B's change feed,
// woken by PostgreSQL NOTIFY, has read it from the event log. Correctness with a generous
// bound, no speed assertion (bench/ measures the delay).
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startAgent, type RunningAgent } from '../../../src/agent/index.js'
import { call } from '../../../src/agent/test-http.js'
import type { RunningReplica } from '../../../src/server/start-replica.js'
import { postgresForTests, POSTGRES_SKIP } from '../../../src/store/test-postgres.js'
import { BUILT_IN_ROLE_IDS } from '../../../src/domain/rbac/built-in-roles.js'
import { arm, assignRole, unassignRole, type ArmCall } from '../../helpers/arm.js'
import { https } from '../../helpers/https.js'
import { clientToken } from '../../helpers/tokens.js'
import { eventually, removeDir, TOKEN_PATH, VM_API, MI_API, RG_API } from '../agent/agent.config.js'
import { replicaSet } from './replicas.in-process.js'

const postgres = postgresForTests('replicas_prop')
const MANAGEMENT = 'https://management.azure.com/'
const VAULT_AUDIENCE = 'https://vault.azure.net'
const STORAGE_AUDIENCE = 'https://storage.azure.com'
const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6'
const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
const BOUND_MS = 10_000

/** What a test client needs of one replica: its own address, the shared CA. */
const at = (r: RunningReplica) => ({
  endpoints: {
    authorityHost: r.endpoints.listening,
    managementEndpoint: r.endpoints.listening,
    tenantId: r.endpoints.tenantId,
  },
  ca: r.caCertPem,
})

describe(
  'changes committed on one replica are enforced by another',
  {
    skip: postgres ? false : POSTGRES_SKIP,
  },
  () => {
    const set = postgres ? replicaSet(postgres.url, postgres.schema('prop')) : undefined
    let a: RunningReplica
    let b: RunningReplica
    let armA: ArmCall
    let agent: RunningAgent
    let stateDir: string
    let imds: string
    let identity: { id: string; principalId: string; clientId: string }
    let vm: string
    let vaultB: string
    let blobB: string
    let rg: string

    const ok = async (callArm: ArmCall, method: string, path: string, body?: unknown) => {
      const res = await callArm(method, path, body)
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`)
      return res.text ? res.json() : undefined
    }
    /** The identity's token from the agent, whose only server is replica B. */
    const identityToken = (resource: string) =>
      call(
        `${imds}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(resource)}&client_id=${identity.clientId}`,
        { headers: { Metadata: 'true' } },
      )
    const tokenOf = async (resource: string) => {
      const res = await identityToken(resource)
      assert.equal(res.status, 200, res.text)
      return res.json().access_token as string
    }

    before(async () => {
      a = await set!.start()
      b = await set!.start()
      const operator = { clientId: a.operator.clientId, clientSecret: a.operator.clientSecret }
      armA = arm(at(a), await clientToken(at(a), operator, MANAGEMENT))
      const sub = `/subscriptions/${a.endpoints.subscriptionId}`
      rg = `${sub}/resourceGroups/prop-rg`
      await ok(armA, 'PUT', `${rg}?api-version=${RG_API}`, { location: 'eastus' })
      const uai = await ok(
        armA,
        'PUT',
        `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app?api-version=${MI_API}`,
        { location: 'eastus' },
      )
      identity = {
        id: uai.id,
        principalId: uai.properties.principalId,
        clientId: uai.properties.clientId,
      }
      stateDir = mkdtempSync(join(tmpdir(), 'keyless-prop-agent-'))
      agent = await startAgent({
        serverUrl: b.endpoints.listening,
        caCertPem: b.caCertPem,
        stateDir,
        joinToken: (await ok(armA, 'POST', '/keyless/v1/joinTokens')).token,
      })
      vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`
      await ok(armA, 'PUT', `${vm}?api-version=${VM_API}`, {
        location: 'eastus',
        properties: { hostId: agent.hostId },
        identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } },
      })
      imds = (await agent.createRun(vm, 'imds')).env!.AZURE_POD_IDENTITY_AUTHORITY_HOST!
      await ok(
        armA,
        'PUT',
        `${rg}/providers/Microsoft.KeyVault/vaults/propkv?api-version=2023-07-01`,
        {
          location: 'eastus',
          properties: {
            tenantId: a.endpoints.tenantId,
            sku: { family: 'A', name: 'standard' },
            enableRbacAuthorization: true,
          },
        },
      )
      await ok(
        armA,
        'PUT',
        `${rg}/providers/Microsoft.Storage/storageAccounts/propsa?api-version=2024-01-01`,
        {
          location: 'eastus',
          kind: 'StorageV2',
          sku: { name: 'Standard_LRS' },
        },
      )
      // B's own data-plane addresses, as B's control plane reports them.
      const armB = arm(at(b), await clientToken(at(b), operator, MANAGEMENT))
      await eventually(
        BOUND_MS,
        async () => {
          const res = await armB(
            'GET',
            `${rg}/providers/Microsoft.KeyVault/vaults/propkv?api-version=2023-07-01`,
          )
          vaultB = res.status === 200 ? (res.json().properties?.vaultUri ?? '') : ''
          return vaultB.startsWith(`https://127.0.0.1:`)
        },
        50,
      )
      const sa = await ok(
        armB,
        'GET',
        `${rg}/providers/Microsoft.Storage/storageAccounts/propsa?api-version=2024-01-01`,
      )
      blobB = String(sa.properties.primaryEndpoints.blob).replace(/\/$/, '')
    })

    after(async () => {
      await agent?.close()
      if (stateDir) removeDir(stateDir)
      await set?.close()
    })

    it("a role assignment deleted through A is refused by B's ARM, vault and blob", async () => {
      const reader = await assignRole(armA, a.endpoints.subscriptionId, {
        scope: rg,
        role: BUILT_IN_ROLE_IDS.reader,
        principalId: identity.principalId,
      })
      const secrets = await assignRole(armA, a.endpoints.subscriptionId, {
        scope: rg,
        role: SECRETS_USER,
        principalId: identity.principalId,
      })
      const blobs = await assignRole(armA, a.endpoints.subscriptionId, {
        scope: rg,
        role: BLOB_READER,
        principalId: identity.principalId,
      })
      const armB = arm(at(b), await tokenOf(MANAGEMENT))
      const vaultToken = await tokenOf(VAULT_AUDIENCE)
      const storageToken = await tokenOf(STORAGE_AUDIENCE)
      const readGroup = () => armB('GET', `${rg}?api-version=${RG_API}`)
      const readSecret = () =>
        https(`${vaultB}secrets/missing?api-version=7.4`, {
          headers: { authorization: `Bearer ${vaultToken}` },
          ca: b.caCertPem,
        })
      const listBlobs = () =>
        https(`${blobB}/c1?restype=container&comp=list`, {
          headers: { authorization: `Bearer ${storageToken}`, 'x-ms-version': '2023-11-03' },
          ca: b.caCertPem,
        })
      // Allowed on B once B has seen the assignments (the secret and the container do not exist:
      // allowed means "not found", refused means 403).
      await eventually(BOUND_MS, async () => (await readGroup()).status === 200, 20)
      await eventually(BOUND_MS, async () => (await readSecret()).status === 404, 20)
      await eventually(BOUND_MS, async () => (await listBlobs()).status === 404, 20)

      await unassignRole(armA, reader)
      await unassignRole(armA, secrets)
      await unassignRole(armA, blobs)
      await eventually(BOUND_MS, async () => (await readGroup()).status === 403, 20)
      await eventually(BOUND_MS, async () => (await readSecret()).status === 403, 20)
      await eventually(BOUND_MS, async () => (await listBlobs()).status === 403, 20)
      const refused = await readSecret()
      assert.equal(refused.json().error.code, 'Forbidden')
    })

    it("an identity detached through A gets no token from B's token endpoint and its token is refused by B", async () => {
      await assignRole(armA, a.endpoints.subscriptionId, {
        scope: rg,
        role: SECRETS_USER,
        principalId: identity.principalId,
      })
      const vaultToken = await tokenOf(VAULT_AUDIENCE)
      const readSecret = () =>
        https(`${vaultB}secrets/missing?api-version=7.4`, {
          headers: { authorization: `Bearer ${vaultToken}` },
          ca: b.caCertPem,
        })
      await eventually(BOUND_MS, async () => (await readSecret()).status === 404, 20)
      await ok(armA, 'PUT', `${vm}?api-version=${VM_API}`, {
        location: 'eastus',
        properties: { hostId: agent.hostId },
        identity: { type: 'None' },
      })
      // B's vault refuses the token issued before the detach (revoked) …
      await eventually(BOUND_MS, async () => (await readSecret()).status === 401, 20)
      // … and B's token endpoint, asked by the agent, issues none for the detached identity.
      await eventually(
        BOUND_MS,
        async () => (await identityToken(VAULT_AUDIENCE)).status !== 200,
        20,
      )
      const res = await identityToken(VAULT_AUDIENCE)
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`)
    })
  },
)
