// Host credentials over time, with one controllable clock shared by the server and the agent
// (both in this process): renewal with a new key at two thirds of the certificate's life, the
// old credential useless once expired, and revocation cutting the agent off for good.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { SignJWT } from 'jose'
import { startAgent, type RunningAgent } from '../../../src/agent/index.js'
import type { HostCredential } from '../../../src/agent/credential.js'
import { fakeClock, type FakeClock } from '../../../src/agent/test-fakes.js'
import { call } from '../../../src/agent/test-http.js'
import { resolveConfig } from '../../../src/server/config.js'
import { startServer, type RunningServer } from '../../../src/server/start.js'
import { tempDataDir } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { form, https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import { eventually, removeDir, RG_API, TOKEN_PATH, VAULT, VM_API } from './agent.config.js'

describe('host credential renewal and revocation (controllable clock)', () => {
  let clock: FakeClock
  let dataDir: string
  let stateDir: string
  let server: RunningServer
  let agent: RunningAgent
  let ca: string
  let imds: string
  let first: HostCredential

  const put = async (path: string, body: unknown) => {
    const admin = JSON.parse(readFileSync(server.endpoints.adminCredentialFile, 'utf8'))
    const operator = await operatorToken({ endpoints: server.endpoints, admin, ca })
    const res = await arm({ endpoints: server.endpoints, ca }, operator)('PUT', path, body)
    assert.ok(res.status < 300, res.text)
    return res.json()
  }
  const token = (resource: string) =>
    call(`${imds}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(resource)}`, {
      headers: { Metadata: 'true' },
    })
  /** A token request signed with a given credential, straight to the token endpoint. */
  const assertWith = async (c: HostCredential, vm: string) =>
    https(c.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'client_credentials',
        client_id: c.hostId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [c.certificateDer] })
          .setIssuer(c.hostId)
          .setSubject(c.hostId)
          .setAudience(c.tokenEndpoint)
          .setJti(randomUUID())
          .setIssuedAt(Math.floor(clock.now() / 1000))
          .setExpirationTime(Math.floor(clock.now() / 1000) + 300)
          .sign(c.privateKey),
        scope: `${VAULT}/.default`,
        xms_az_rid: vm,
      }),
      ca,
    })
  let vm: string

  before(async () => {
    clock = fakeClock(Date.now())
    dataDir = tempDataDir()
    stateDir = mkdtempSync(join(tmpdir(), 'keyless-agent-'))
    server = await startServer(resolveConfig({ dataDir, port: 0, logLevel: 'silent' }), clock)
    ca = readFileSync(server.endpoints.caCertFile, 'utf8')
    agent = await startAgent({
      serverUrl: server.endpoints.authorityHost,
      caCertPem: ca,
      stateDir,
      joinToken: (await server.hosts.createJoinToken()).token,
      clock,
      renewCheckIntervalMs: 20,
    })
    first = agent.credential.current()
    const rg = `/subscriptions/${server.endpoints.subscriptionId}/resourceGroups/renewal-rg`
    await put(`${rg}?api-version=${RG_API}`, { location: 'eastus' })
    vm = (
      await put(`${rg}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=${VM_API}`, {
        location: 'eastus',
        properties: { hostId: agent.hostId },
        identity: { type: 'SystemAssigned' },
      })
    ).id
    imds = (await agent.createRun(vm, 'imds')).env!.AZURE_POD_IDENTITY_AUTHORITY_HOST!
    assert.equal((await token(VAULT)).status, 200)
  })
  after(async () => {
    await agent?.close()
    await server?.close()
    removeDir(stateDir)
    removeDir(dataDir)
  })

  it('does not renew before two thirds of the lifetime', async () => {
    const lifetime = first.notAfter - first.notBefore
    assert.equal(agent.credential.renewAt, first.notBefore + (lifetime * 2) / 3)
    clock.set(agent.credential.renewAt - 60_000)
    await sleep(200)
    assert.equal(agent.credential.current().certificateDer, first.certificateDer)
  })

  it('renews with a new key once two thirds have passed, and keeps getting tokens', async (t) => {
    clock.set(agent.credential.renewAt + 1000)
    const took = await eventually(
      5000,
      () => agent.credential.current().certificateDer !== first.certificateDer,
    )
    t.diagnostic(`renewed ${took} ms after the renewal time`)
    const renewed = agent.credential.current()
    assert.ok(renewed.notAfter > first.notAfter)
    assert.equal(renewed.hostId, first.hostId)
    const host = (await server.hosts.list()).find((h) => h.id === agent.hostId)!
    assert.equal(host.certificateNotAfter, renewed.notAfter)
    assert.equal((await token('https://storage.azure.com/')).status, 200)
  })

  it('makes the first credential useless once it expires; the renewed one works', async () => {
    clock.set(first.notAfter + 60_000)
    const old = await assertWith(first, vm)
    assert.equal(old.status, 401)
    assert.equal(old.json().error, 'invalid_client')
    assert.equal((await assertWith(agent.credential.current(), vm)).status, 200)
    assert.equal((await token('https://graph.microsoft.com/')).status, 200)
  })

  it('stops at once when the host is revoked, and never renews again', async (t) => {
    await server.hosts.revoke(agent.hostId)
    const took = await eventually(1000, async () => (await token(VAULT)).status === 400)
    t.diagnostic(`revocation effective at the agent after ${took} ms`)
    assert.deepEqual((await token(VAULT)).json(), {
      error: 'unauthorized_client',
      error_description: 'The host credential of this agent was revoked by the operator',
    })
    assert.equal(agent.credential.revoked, true)
    const current = agent.credential.current()
    assert.equal((await assertWith(current, vm)).status, 401)
    clock.set(agent.credential.renewAt + 1000)
    await sleep(200)
    assert.equal(agent.credential.current().certificateDer, current.certificateDer)
    assert.equal(await agent.credential.renewIfDue(), false)
  })
})
