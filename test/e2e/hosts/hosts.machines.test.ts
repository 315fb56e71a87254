// Hosts in ARM as Azure Arc represents a machine outside Azure: a join token names a resource
// group (RBAC: Microsoft.HybridCompute/machines/write there), enrolling creates the host's
// Microsoft.HybridCompute/machines resource with a system-assigned identity, the agent serves
// that identity over the Arc protocol to the stock SDKs, and deleting the machine revokes the
// host (and revoking the host deletes the machine), each in one transaction.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { openStore } from '../../../src/store/index.js'
import { addApplication } from '../../helpers/applications.js'
import { arm, assignRole, unassignRole, type ArmCall } from '../../helpers/arm.js'
import { https } from '../../helpers/https.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { clientToken, operatorToken } from '../../helpers/tokens.js'
import {
  MI_TOKENS,
  startAgentProcess,
  VAULT,
  verifyToken,
  VM_API as VM_VERSION,
  type AgentProcess,
} from '../agent/agent.config.js'
import { identityToken, newKeyPair } from './hosts.config.js'

const RG_API = 'api-version=2025-04-01'
const ARC_API = 'api-version=2024-07-10'
const VM = `api-version=${VM_VERSION}`
const AUTHZ_API = 'api-version=2022-04-01'
const MACHINES = 'providers/Microsoft.HybridCompute/machines'

/** The stock SDKs in a child process that sees only Arc's two variables, as under azcmagent. */
function arcTokens(
  endpoint: string,
  sdks: string[],
): Promise<{ token?: string; error?: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [MI_TOKENS, JSON.stringify({ resource: VAULT, cases: sdks.map((sdk) => ({ sdk })) })],
      {
        env: {
          PATH: process.env.PATH,
          IDENTITY_ENDPOINT: `${endpoint}/metadata/identity/oauth2/token`,
          IMDS_ENDPOINT: endpoint,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out))
      } catch {
        reject(new Error(`fixture output is not JSON: ${out}\n${err}`))
      }
    })
  })
}

describe('hosts as Azure Arc machines', () => {
  let k: KeylessProcess
  let call: ArmCall
  let rg: string
  let otherRg: string
  let agent: AgentProcess | undefined
  let machineEndpoint: string
  let machineId: string

  const joinToken = async (body: unknown, as: ArmCall = call) =>
    as('POST', '/keyless/v1/joinTokens', body)

  const enrollAs = async (token: string, name: string) => {
    const keys = newKeyPair()
    const res = await https(`${k.endpoints.authorityHost}/keyless/v1/hosts/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ joinToken: token, name, publicKey: keys.publicKeyPem }),
      ca: k.ca,
    })
    return { res, ...keys }
  }

  /** A new application (no roles yet) and an ARM caller holding its token. */
  const appCaller = async () => {
    const app = await addApplication(
      () => openStore({ sqliteFile: join(k.dataDir, 'keyless.db') }),
      k.endpoints.tenantId,
    )
    const asApp = arm(
      k,
      await clientToken(
        k,
        { clientId: app.appId, clientSecret: app.secret },
        k.endpoints.managementEndpoint,
      ),
    )
    return { app, asApp }
  }

  before(async () => {
    k = await startKeyless()
    call = arm(k, await operatorToken(k))
    const sub = `/subscriptions/${k.endpoints.subscriptionId}`
    rg = `${sub}/resourceGroups/arc-rg`
    otherRg = `${sub}/resourceGroups/other-rg`
    for (const g of [rg, otherRg]) {
      const res = await call('PUT', `${g}?${RG_API}`, { location: 'eastus' })
      assert.ok(res.status < 300, res.text)
    }
  })
  after(async () => {
    await agent?.stop()
    await k?.dispose()
  })

  it('refuses a join token for what is not an existing resource group, in the ARM envelope', async () => {
    const notGroup = await joinToken({ resourceGroupId: `${rg}/providers/X.Y/z/w` })
    assert.equal(notGroup.status, 400)
    assert.equal(notGroup.json().error.code, 'InvalidResourceGroupId')
    const missing = await joinToken({ resourceGroupId: `${rg}-gone` })
    assert.equal(missing.status, 404)
    assert.equal(missing.json().error.code, 'ResourceGroupNotFound')
    const unknown = await joinToken({ resourceGroupId: rg, color: 'blue' })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.json().error.code, 'InvalidRequestContent')
    const locationAlone = await joinToken({ location: 'eastus' })
    assert.equal(locationAlone.status, 400)
    assert.equal(locationAlone.json().error.code, 'InvalidRequestContent')
  })

  it('lets RBAC decide who may onboard machines: Microsoft.HybridCompute/machines/write at the group', async () => {
    const { app, asApp } = await appCaller()
    const before = await joinToken({ resourceGroupId: rg }, asApp)
    assert.equal(before.status, 403)
    assert.equal(before.json().error.code, 'AuthorizationFailed')
    assert.match(before.json().error.message, /Microsoft\.HybridCompute\/machines\/write/)
    assert.ok(before.json().error.message.includes(`over scope '${rg}'`))

    const role = 'b0c2f3a1-5e7d-4c1b-9a8e-0d3c2b1a0f11'
    const defined = await call(
      'PUT',
      `/subscriptions/${k.endpoints.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}?${AUTHZ_API}`,
      {
        properties: {
          roleName: 'Machine Onboarding (hosts test)',
          permissions: [{ actions: ['Microsoft.HybridCompute/machines/write'] }],
          assignableScopes: [rg],
        },
      },
    )
    assert.ok(defined.status < 300, defined.text)
    await assignRole(call, k.endpoints.subscriptionId, {
      scope: rg,
      role,
      principalId: app.objectId,
    })
    const allowed = await joinToken({ resourceGroupId: rg }, asApp)
    assert.equal(allowed.status, 201, allowed.text)
    assert.equal(allowed.json().resourceGroupId, rg)
    assert.equal((await joinToken({ resourceGroupId: otherRg }, asApp)).status, 403)
    // A host without a machine stays the installation's decision (Keyless/hosts/write at '/').
    assert.equal((await joinToken(undefined, asApp)).status, 403)
  })

  it('enrolls a host as a Microsoft.HybridCompute/machines resource with a system-assigned identity', async () => {
    const token = (await joinToken({ resourceGroupId: rg })).json().token as string
    agent = await startAgentProcess(k, {
      joinToken: token,
      args: ['--name', 'edge-01', '--machine-port', '0'],
    })
    const out = agent.output()
    machineId = /machine\s+(\S+)/.exec(out)![1]!
    machineEndpoint = /machineEndpoint\s+(\S+)/.exec(out)![1]!
    assert.equal(machineId, `${rg}/${MACHINES}/edge-01`)

    const got = await call('GET', `${machineId}?${ARC_API}`)
    assert.equal(got.status, 200, got.text)
    const m = got.json()
    assert.equal(m.type, 'Microsoft.HybridCompute/machines')
    assert.equal(m.location, 'eastus')
    assert.equal(m.identity.type, 'SystemAssigned')
    assert.match(m.identity.principalId, /^[0-9a-f-]{36}$/)
    assert.equal(m.properties.hostId, agent.hostId)

    const hosts = (await call('GET', '/keyless/v1/hosts')).json().value as {
      id: string
      machineId?: string
    }[]
    assert.equal(hosts.find((h) => h.id === agent!.hostId)?.machineId, machineId)
  })

  it("serves the machine's identity over the Arc protocol to the stock Azure SDKs", async () => {
    const principalId = (await call('GET', `${machineId}?${ARC_API}`)).json().identity.principalId
    const results = await arcTokens(machineEndpoint, ['mic', 'dac', 'msal'])
    for (const r of results) {
      assert.ok(r.token, r.error)
      const claims = await verifyToken(k, r.token!)
      assert.equal(claims.oid, principalId)
      assert.equal((claims.xms_mirid as string).toLowerCase(), machineId.toLowerCase())
    }
  })

  it("needs write on the host's machine to place a resource on the host (a linked check, as for identities)", async () => {
    const { app, asApp } = await appCaller()
    const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c'
    await assignRole(call, k.endpoints.subscriptionId, {
      scope: otherRg,
      role: CONTRIBUTOR,
      principalId: app.objectId,
    })
    const vm = `${otherRg}/providers/Microsoft.Compute/virtualMachines/placed-vm`
    const put = (as: ArmCall, properties: Record<string, unknown>, tags = {}) =>
      as('PUT', `${vm}?${VM}`, {
        location: 'eastus',
        tags,
        properties,
        identity: { type: 'SystemAssigned' },
      })

    // Write on the VM's group is not enough: the host's machine decides, and nothing is stored.
    const refused = await put(asApp, { hostId: agent!.hostId })
    assert.equal(refused.status, 403, refused.text)
    assert.equal(refused.json().error.code, 'LinkedAuthorizationFailed')
    assert.ok(refused.json().error.message.includes("'Microsoft.HybridCompute/machines/write'"))
    assert.ok(refused.json().error.message.includes(`'${machineId}'`))
    assert.equal((await call('GET', `${vm}?${VM}`)).status, 404)
    // An id that names no active host is decided at '/', so it tells the caller nothing…
    const unknown = await put(asApp, { hostId: '00000000-0000-4000-8000-000000000000' })
    assert.equal(unknown.status, 403, unknown.text)
    assert.equal(unknown.json().error.code, 'LinkedAuthorizationFailed')
    assert.ok(unknown.json().error.message.includes("linked scope(s) '/'"))
    // …while the operator, who holds '/', hears that it is not a host.
    const operatorUnknown = await put(call, { hostId: '00000000-0000-4000-8000-000000000000' })
    assert.equal(operatorUnknown.status, 400, operatorUnknown.text)
    assert.equal(operatorUnknown.json().error.code, 'InvalidHostId')

    const onMachine = await assignRole(call, k.endpoints.subscriptionId, {
      scope: machineId,
      role: CONTRIBUTOR,
      principalId: app.objectId,
    })
    const placed = await put(asApp, { hostId: agent!.hostId })
    assert.ok(placed.status === 200 || placed.status === 201, placed.text)
    assert.equal(placed.json().properties.hostId, agent!.hostId)

    // Keeping the placement needs no right on the host; changing it again does.
    await unassignRole(call, onMachine)
    const kept = await put(asApp, { hostId: agent!.hostId.toUpperCase() }, { env: 'test' })
    assert.equal(kept.status, 200, kept.text)
    assert.equal(kept.json().tags.env, 'test')
    const patched = await asApp('PATCH', `${vm}?${VM}`, {
      properties: { hostId: '00000000-0000-4000-8000-000000000000' },
    })
    assert.equal(patched.status, 403, patched.text)
    const got = (await call('GET', `${vm}?${VM}`)).json()
    assert.equal(got.properties.hostId, agent!.hostId)
    assert.equal((await call('DELETE', `${vm}?${VM}`)).status, 200)
  })

  it('refuses a second machine of the same name and leaves its join token unused', async () => {
    const token = (await joinToken({ resourceGroupId: rg, location: 'westeurope' })).json()
      .token as string
    const taken = await enrollAs(token, 'edge-01')
    assert.equal(taken.res.status, 409, taken.res.text)
    assert.equal(taken.res.json().error.code, 'MachineAlreadyExists')
    const hostsBefore = (await call('GET', '/keyless/v1/hosts')).json().value.length
    const second = await enrollAs(token, 'edge 02!')
    assert.equal(second.res.status, 201, second.res.text)
    assert.equal(second.res.json().machineResourceId, `${rg}/${MACHINES}/edge-02`)
    assert.equal((await call('GET', '/keyless/v1/hosts')).json().value.length, hostsBefore + 1)
    const m = (await call('GET', `${rg}/${MACHINES}/edge-02?${ARC_API}`)).json()
    assert.equal(m.location, 'westeurope')
  })

  it('refuses to create a machine by PUT, to move it to another host or to take its identity', async () => {
    const created = await call('PUT', `${rg}/${MACHINES}/by-hand?${ARC_API}`, {
      location: 'eastus',
      identity: { type: 'SystemAssigned' },
    })
    assert.equal(created.status, 400)
    assert.equal(created.json().error.code, 'InvalidMachineOperation')
    const other = (await call('GET', `${rg}/${MACHINES}/edge-02?${ARC_API}`)).json().properties
      .hostId as string
    const moved = await call('PATCH', `${machineId}?${ARC_API}`, { properties: { hostId: other } })
    assert.equal(moved.status, 400)
    assert.equal(moved.json().error.code, 'InvalidHostId')
    const stripped = await call('PATCH', `${machineId}?${ARC_API}`, { identity: { type: 'None' } })
    assert.equal(stripped.status, 400)
    assert.equal(stripped.json().error.code, 'InvalidIdentityType')
    // A PUT without properties keeps the machine on its host.
    const put = await call('PUT', `${machineId}?${ARC_API}`, {
      location: 'eastus',
      tags: { site: 'lab' },
      identity: { type: 'SystemAssigned' },
    })
    assert.equal(put.status, 200, put.text)
    assert.equal(put.json().properties.hostId, agent!.hostId)
    assert.deepEqual(put.json().tags, { site: 'lab' })
  })

  it('revokes the host when its machine is deleted, in the same transaction', async () => {
    const token = (await joinToken({ resourceGroupId: otherRg })).json().token as string
    const enrolled = await enrollAs(token, 'edge-03')
    assert.equal(enrolled.res.status, 201, enrolled.res.text)
    const host = { ...enrolled.res.json(), privateKey: enrolled.privateKey }
    const id = host.machineResourceId as string
    assert.equal((await identityToken(k, host, id)).status, 200)

    const deleted = await call('DELETE', `${id}?${ARC_API}`)
    assert.equal(deleted.status, 200, deleted.text)
    const listed = (await call('GET', '/keyless/v1/hosts')).json().value as {
      id: string
      state: string
      machineId?: string
    }[]
    const row = listed.find((h) => h.id === host.hostId)
    assert.equal(row?.state, 'revoked')
    assert.equal(row?.machineId, undefined)
    const refused = await identityToken(k, host, id)
    assert.equal(refused.status, 401)
    assert.ok(refused.json().error_codes.includes(7_000_112), refused.text)
  })

  it('revokes the hosts of the machines in a resource group that is deleted', async () => {
    const doomed = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/doomed-rg`
    assert.ok((await call('PUT', `${doomed}?${RG_API}`, { location: 'eastus' })).status < 300)
    const token = (await joinToken({ resourceGroupId: doomed })).json().token as string
    const enrolled = await enrollAs(token, 'edge-04')
    assert.equal(enrolled.res.status, 201, enrolled.res.text)
    const hostId = enrolled.res.json().hostId as string
    const deleted = await call('DELETE', `${doomed}?${RG_API}`)
    assert.ok(deleted.status === 200 || deleted.status === 202, deleted.text)
    const listed = (await call('GET', '/keyless/v1/hosts')).json().value as {
      id: string
      state: string
    }[]
    assert.equal(listed.find((h) => h.id === hostId)?.state, 'revoked')
  })

  it('deletes the machine when its host is revoked, and the agent stops serving it', async () => {
    const revoked = await call('POST', `/keyless/v1/hosts/${agent!.hostId}/revoke`)
    assert.equal(revoked.status, 200, revoked.text)
    assert.equal(revoked.json().state, 'revoked')
    const gone = await call('GET', `${machineId}?${ARC_API}`)
    assert.equal(gone.status, 404)
    assert.equal(gone.json().error.code, 'ResourceNotFound')
    const results = await arcTokens(machineEndpoint, ['mic'])
    assert.equal(results[0]!.token, undefined)
  })
})
