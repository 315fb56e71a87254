// What a workload sees when it may not have a token, each case with status and body: protocol
// violations, identities and resources it has no right to, changes that must take effect at
// once (detach, delete, revoke: no more tokens within a second, cached or not), the Arc
// challenge misused, throttling, and host assertions that are forged or expired.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { SignJWT } from 'jose'
import { call, type Answer } from '../../../src/agent/test-http.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { form, https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import {
  eventually,
  management,
  readJson,
  removeDir,
  startAgentProcess,
  TOKEN_PATH,
  VAULT,
  VM_API,
  type AgentProcess,
  type Identity,
  type Management,
} from './agent.config.js'

const IDENTITY_NOT_FOUND = { error: 'invalid_request', error_description: 'Identity not found' }

function json(a: Answer) {
  assert.equal(a.headers['content-type'], 'application/json; charset=utf-8')
  return a.json()
}

describe('agent refusals', () => {
  let k: KeylessProcess
  let api: Management
  let agent: AgentProcess
  let elsewhere: AgentProcess
  let rg: string
  let attached: Identity
  let unattached: Identity
  let vm: string
  let imds: string
  let app: { endpoint: string; header: string }

  const run = async (resourceId: string, protocol: string) => {
    const a = await call('http://agent/runs', {
      method: 'POST',
      socketPath: agent.controlSocket,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceId, protocol }),
    })
    assert.equal(a.status, 201, a.text)
    return a.json().env as Record<string, string>
  }
  const imdsGet = (
    base: string,
    extra = '',
    headers: Record<string, string> = { Metadata: 'true' },
  ) =>
    call(
      `${base}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}${extra}`,
      {
        headers,
      },
    )

  before(async () => {
    k = await startKeyless()
    api = management(k, await operatorToken(k))
    agent = await startAgentProcess(k, { joinToken: await api.joinToken() })
    elsewhere = await startAgentProcess(k, { joinToken: await api.joinToken() })
    rg = await api.createGroup('errors-rg')
    attached = await api.createIdentity(rg, 'attached')
    unattached = await api.createIdentity(rg, 'unattached')
    vm = (await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: true, user: [attached.id] }))
      .id
    imds = (await run(vm, 'imds')).AZURE_POD_IDENTITY_AUTHORITY_HOST!
    const env = await run(vm, 'appservice')
    app = { endpoint: env.IDENTITY_ENDPOINT!, header: env.IDENTITY_HEADER! }
  })
  after(async () => {
    for (const a of [agent, elsewhere]) {
      await a?.stop()
      if (a) removeDir(a.stateDir)
    }
    await k?.dispose()
  })

  it('answers a request without Metadata: true with 400 JSON', async () => {
    const a = await imdsGet(imds, '', {})
    assert.equal(a.status, 400)
    assert.deepEqual(json(a), {
      error: 'invalid_request',
      error_description: 'Required metadata header not specified',
    })
  })

  it('answers a request carrying X-Forwarded-For with 400 JSON', async () => {
    const a = await imdsGet(imds, '', { Metadata: 'true', 'X-Forwarded-For': '203.0.113.7' })
    assert.equal(a.status, 400)
    assert.deepEqual(json(a), {
      error: 'invalid_request',
      error_description: 'Requests with the x-forwarded-for header are not accepted',
    })
  })

  it('answers a missing identity header with 400 and a wrong one with 401', async () => {
    const url = `${app.endpoint}?api-version=2019-08-01&resource=${encodeURIComponent(VAULT)}`
    const missing = await call(url)
    assert.equal(missing.status, 400)
    assert.deepEqual(json(missing), {
      error: 'invalid_request',
      error_description: 'Required header X-IDENTITY-HEADER not specified',
    })
    const wrong = await call(url, { headers: { 'X-IDENTITY-HEADER': randomUUID() } })
    assert.equal(wrong.status, 401)
    assert.deepEqual(json(wrong), {
      error: 'invalid_client',
      error_description: 'X-IDENTITY-HEADER does not match a registered run',
    })
    const right = await call(url, { headers: { 'X-IDENTITY-HEADER': app.header } })
    assert.equal(right.status, 200)
  })

  it('answers an identity not attached to the calling resource with Identity not found', async () => {
    for (const selector of [
      `&client_id=${unattached.clientId}`,
      `&object_id=${unattached.principalId}`,
      `&msi_res_id=${encodeURIComponent(unattached.id)}`,
    ]) {
      const a = await imdsGet(imds, selector)
      assert.equal(a.status, 400, selector)
      assert.deepEqual(json(a), IDENTITY_NOT_FOUND)
    }
  })

  it('answers a resource hosted by another host with 400 unauthorized_client', async () => {
    const other = (await api.putVm(rg, 'vm-elsewhere', { hostId: elsewhere.hostId, system: true }))
      .id
    const a = await imdsGet((await run(other, 'imds')).AZURE_POD_IDENTITY_AUTHORITY_HOST!)
    assert.equal(a.status, 400)
    const body = json(a)
    assert.equal(body.error, 'unauthorized_client')
    assert.match(body.error_description, /^AADSTS\d+: Host '[^']+' does not host/)
  })

  it('stops serving a detached identity within a second, though its token was cached', async (t) => {
    const selector = `&client_id=${attached.clientId}`
    const first = await imdsGet(imds, selector)
    assert.equal(first.status, 200, first.text)
    assert.equal((await imdsGet(imds, selector)).json().access_token, first.json().access_token)
    await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: true })
    const took = await eventually(1000, async () => (await imdsGet(imds, selector)).status === 400)
    assert.deepEqual(json(await imdsGet(imds, selector)), IDENTITY_NOT_FOUND)
    t.diagnostic(`detach effective at the agent after ${took} ms`)
    assert.equal((await imdsGet(imds)).status, 200, 'the system-assigned identity still works')
  })

  it('stops serving a deleted resource within a second, though its token was cached', async () => {
    const doomed = (await api.putVm(rg, 'vm-doomed', { hostId: agent.hostId, system: true })).id
    const base = (await run(doomed, 'imds')).AZURE_POD_IDENTITY_AUTHORITY_HOST!
    assert.equal((await imdsGet(base)).status, 200)
    await api.delete(doomed, VM_API)
    await eventually(1000, async () => (await imdsGet(base)).status === 400)
    assert.deepEqual(json(await imdsGet(base)), IDENTITY_NOT_FOUND)
  })

  describe('Azure Arc challenge', () => {
    let arcA: string
    let arcB: string
    before(async () => {
      arcA = (await run(vm, 'arc')).IDENTITY_ENDPOINT!
      arcB = (await run(vm, 'arc')).IDENTITY_ENDPOINT!
    })
    const url = (endpoint: string) =>
      `${endpoint}?api-version=2020-06-01&resource=${encodeURIComponent(VAULT)}`
    const challenge = async (endpoint: string) => {
      const a = await call(url(endpoint), { headers: { Metadata: 'true' } })
      assert.equal(a.status, 401)
      const realm = /^Basic realm=(\/var\/opt\/azcmagent\/tokens\/[0-9a-f]+\.key)$/.exec(
        a.headers['www-authenticate'] as string,
      )
      assert.ok(realm, String(a.headers['www-authenticate']))
      return readFileSync(realm[1]!, 'utf8')
    }
    const answer = (endpoint: string, key: string) =>
      call(url(endpoint), { headers: { Metadata: 'true', Authorization: `Basic ${key}` } })

    it('challenges a request without a key with 401 and a JSON body', async () => {
      const a = await call(url(arcA), { headers: { Metadata: 'true' } })
      assert.equal(a.status, 401)
      assert.equal(json(a).error, 'invalid_client')
    })

    it('refuses a key already used', async () => {
      const key = await challenge(arcA)
      assert.equal((await answer(arcA, key)).status, 200)
      const again = await answer(arcA, key)
      assert.equal(again.status, 401)
      assert.deepEqual(json(again), {
        error: 'invalid_client',
        error_description: 'The challenge key is not valid',
      })
    })

    it('refuses the key of another challenge', async () => {
      const key = await challenge(arcB)
      const a = await answer(arcA, key)
      assert.equal(a.status, 401)
      assert.deepEqual(json(a), {
        error: 'invalid_client',
        error_description: 'The challenge key was issued for another request',
      })
    })
  })

  it('throttles a caller beyond 5 concurrent requests with 429 and Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => imdsGet(imds)))
    const throttled = answers.filter((a) => a.status === 429)
    assert.ok(throttled.length > 0, 'some requests are throttled')
    assert.equal(throttled[0]!.headers['retry-after'], '1')
    assert.deepEqual(json(throttled[0]!), {
      error: 'too_many_requests',
      error_description: 'Too many requests for this identity',
    })
    assert.ok(
      answers.every((a) => a.status === 200 || a.status === 429),
      answers.map((a) => `${a.status} ${a.text}`).join('\n'),
    )
    await sleep(1100)
    assert.equal((await imdsGet(imds)).status, 200)
  })

  describe('host assertions', () => {
    const tokenRequest = (assertion: string, hostId: string) =>
      https(readJson(join(agent.stateDir, 'host.json')).tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'client_credentials',
          client_id: hostId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
          scope: `${VAULT}/.default`,
          xms_az_rid: vm,
        }),
        ca: k.ca,
      })
    const handMade = async (o: { key?: 'own' | 'forged'; iat: number }) => {
      const stored = readJson(join(agent.stateDir, 'host.json'))
      const own = readFileSync(join(agent.stateDir, stored.keyFile), 'utf8')
      const forged = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      const der = stored.certificate.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
      const { createPrivateKey } = await import('node:crypto')
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [der] })
        .setIssuer(stored.hostId)
        .setSubject(stored.hostId)
        .setAudience(stored.tokenEndpoint)
        .setJti(randomUUID())
        .setIssuedAt(o.iat)
        .setNotBefore(o.iat)
        .setExpirationTime(o.iat + 300)
        .sign(o.key === 'forged' ? forged : createPrivateKey(own))
    }

    it('accepts an assertion made with the host key', async () => {
      const res = await tokenRequest(
        await handMade({ iat: Math.floor(Date.now() / 1000) }),
        agent.hostId,
      )
      assert.equal(res.status, 200, res.text)
    })

    it('refuses an expired assertion with 401 invalid_client', async () => {
      const res = await tokenRequest(
        await handMade({ iat: Math.floor(Date.now() / 1000) - 3600 }),
        agent.hostId,
      )
      assert.equal(res.status, 401)
      assert.equal(res.json().error, 'invalid_client')
    })

    it('refuses an assertion signed with another key with 401 invalid_client', async () => {
      const res = await tokenRequest(
        await handMade({ key: 'forged', iat: Math.floor(Date.now() / 1000) }),
        agent.hostId,
      )
      assert.equal(res.status, 401)
      assert.equal(res.json().error, 'invalid_client')
    })
  })

  it('stops serving every token within a second once its host is revoked', async () => {
    const base = imds
    assert.equal((await imdsGet(base)).status, 200)
    await api.revokeHost(agent.hostId)
    await eventually(1000, async () => (await imdsGet(base)).status === 400)
    assert.deepEqual(json(await imdsGet(base)), {
      error: 'unauthorized_client',
      error_description: 'The host credential of this agent was revoked by the operator',
    })
    assert.equal(readJson(join(agent.stateDir, 'host.json')).revoked, true)
  })
})
