// The server side of the agent protocol over real HTTPS: enrollment with one-time join tokens,
// managed-identity tokens only for resources a host hosts and identities attached now, forged,
// expired, replayed and foreign assertions refused, revocation immediate, and the change stream.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { request } from 'node:https'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import { AgentErrorCodes } from '../../../src/common/agent-protocol.js'
import {
  assertion,
  enroll,
  foreignCertificate,
  identityToken,
  newKeyPair,
  type TestHost,
} from './hosts.config.js'

const VM_API = 'api-version=2024-07-01'
const MI_API = 'api-version=2024-11-30'

describe('host protocol', () => {
  let k: KeylessProcess
  let call: ReturnType<typeof arm>
  let host: TestHost
  let other: TestHost
  let rg: string
  let vm: string
  let vmPrincipal: string
  let uami: { id: string; principalId: string; clientId: string }

  const joinToken = async () =>
    (await call('POST', '/keyless/v1/joinTokens')).json().token as string

  before(async () => {
    k = await startKeyless()
    call = arm(k, await operatorToken(k))
    host = await enroll(k, await joinToken())
    other = await enroll(k, await joinToken())
    rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/hosts-rg`
    await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
    const id = await call(
      'PUT',
      `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id?${MI_API}`,
      { location: 'eastus' },
    )
    uami = { id: id.json().id, ...id.json().properties }
    vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`
    const created = await call('PUT', `${vm}?${VM_API}`, {
      location: 'eastus',
      properties: { hostId: host.hostId },
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uami.id]: {} } },
    })
    assert.equal(created.status, 201, created.text)
    vmPrincipal = created.json().identity.principalId
  })
  after(async () => k?.dispose())

  async function verify(token: string) {
    const jwks = (await https(k.endpoints.jwksUri, { ca: k.ca })).json()
    return (
      await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: k.endpoints.issuer,
        audience: 'https://vault.azure.net',
      })
    ).payload
  }

  it('issues a host certificate signed by the Keyless CA naming the host', () => {
    const cert = new X509Certificate(host.certificate)
    assert.match(cert.subject, new RegExp(`CN=${host.hostId}`))
    assert.ok(cert.verify(new X509Certificate(k.ca).publicKey))
  })

  it('refuses a join token the second time', async () => {
    const token = await joinToken()
    await enroll(k, token)
    const res = await https(`${k.endpoints.authorityHost}/keyless/v1/hosts/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        joinToken: token,
        name: 'again',
        publicKey: newKeyPair().publicKeyPem,
      }),
      ca: k.ca,
    })
    assert.equal(res.status, 401)
    assert.equal(res.json().error.code, 'InvalidJoinToken')
  })

  it('issues a system-assigned token with Entra managed-identity claims', async () => {
    const res = await identityToken(k, host, vm)
    assert.equal(res.status, 200, res.text)
    const body = res.json()
    const claims = await verify(body.access_token)
    assert.equal(claims.oid, vmPrincipal)
    assert.equal(claims.sub, vmPrincipal)
    assert.equal(claims.appidacr, '2')
    assert.equal(claims.idtyp, 'app')
    assert.equal(claims.xms_mirid, vm.replace('/resourceGroups/', '/resourcegroups/'))
    assert.equal(body.object_id, vmPrincipal)
    assert.equal(body.msi_res_id, vm)
  })

  for (const [selector, value] of [
    ['mi_client_id', () => uami.clientId],
    ['mi_object_id', () => uami.principalId],
    ['mi_res_id', () => uami.id.toLowerCase()],
  ] as const) {
    it(`selects the user-assigned identity by ${selector}`, async () => {
      const res = await identityToken(k, host, vm, { [selector]: value() })
      assert.equal(res.status, 200, res.text)
      const claims = await verify(res.json().access_token)
      assert.equal(claims.oid, uami.principalId)
      assert.equal(claims.appid, uami.clientId)
      assert.equal(claims.xms_mirid, uami.id.replace('/resourceGroups/', '/resourcegroups/'))
      assert.equal(claims.xms_az_rid, vm)
      assert.equal(res.json().client_id, uami.clientId)
    })
  }

  it('refuses an identity not attached to the calling resource', async () => {
    const res = await identityToken(k, host, vm, {
      mi_client_id: '00000000-0000-0000-0000-00000000abcd',
    })
    assert.equal(res.status, 400)
    assert.equal(res.json().error, 'invalid_request')
    assert.match(res.json().error_description, /Identity not found/)
  })

  // An identity that exists but is attached elsewhere (here: nowhere) is selected by nothing,
  // whichever selector names it: the mi_res_id path resolves the id, the others compare ids.
  it('refuses an existing identity not attached to the caller, by each selector', async () => {
    const loose = await call(
      'PUT',
      `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/loose?${MI_API}`,
      { location: 'eastus' },
    )
    assert.equal(loose.status, 201, loose.text)
    const { id, properties } = loose.json()
    for (const params of <Record<string, string>[]>[
      { mi_res_id: id },
      { mi_client_id: properties.clientId },
      { mi_object_id: properties.principalId },
    ]) {
      const res = await identityToken(k, host, vm, params)
      assert.equal(res.status, 400, JSON.stringify(params))
      assert.equal(res.json().error, 'invalid_request')
      assert.deepEqual(res.json().error_codes, [AgentErrorCodes.identityNotFound])
      assert.match(res.json().error_description, /No matching identity is attached to/)
    }
  })

  it('refuses a resource hosted by another host', async () => {
    const res = await identityToken(k, other, vm)
    assert.equal(res.status, 400)
    assert.equal(res.json().error, 'unauthorized_client')
  })

  it('refuses a resource that does not exist', async () => {
    const res = await identityToken(
      k,
      host,
      `${rg}/providers/Microsoft.Compute/virtualMachines/nope`,
    )
    assert.equal(res.status, 400)
    assert.match(res.json().error_description, /Identity not found/)
  })

  const refusals: [string, (h: TestHost) => Promise<string>, number][] = [
    [
      'signed with another key',
      (h) => assertion(h, h.tokenEndpoint, { key: newKeyPair().privateKey }),
      700027,
    ],
    [
      'expired',
      (h) =>
        assertion(h, h.tokenEndpoint, {
          iat: Math.floor(Date.now() / 1000) - 3600,
          exp: Math.floor(Date.now() / 1000) - 1800,
        }),
      700024,
    ],
    [
      'addressed to another audience',
      (h) => assertion(h, 'https://elsewhere.example/token'),
      700021,
    ],
    ['naming another host', (h) => assertion(h, h.tokenEndpoint, { iss: other.hostId }), 700021],
    [
      'living longer than ten minutes',
      (h) => assertion(h, h.tokenEndpoint, { exp: Math.floor(Date.now() / 1000) + 3600 }),
      700024,
    ],
  ]
  for (const [name, make, code] of refusals) {
    it(`refuses an assertion ${name}`, async () => {
      const res = await identityToken(k, host, vm, {}, await make(host))
      assert.equal(res.status, 401, res.text)
      assert.equal(res.json().error, 'invalid_client')
      assert.deepEqual(res.json().error_codes, [code])
    })
  }

  it('refuses a certificate from another CA', async () => {
    const cert = await foreignCertificate(host.hostId)
    const forged = await assertion(host, host.tokenEndpoint, {
      key: cert.privateKey,
      cert: cert.certPem,
    })
    const res = await identityToken(k, host, vm, {}, forged)
    assert.equal(res.status, 401)
    assert.deepEqual(res.json().error_codes, [700027])
  })

  it('accepts each assertion once', async () => {
    const once = await assertion(host, host.tokenEndpoint)
    assert.equal((await identityToken(k, host, vm, {}, once)).status, 200)
    const replay = await identityToken(k, host, vm, {}, once)
    assert.equal(replay.status, 401)
    assert.match(replay.json().error_description, /already used/)
  })

  it('streams a detach to the host within a second', async () => {
    const events: string[] = []
    const auth = await assertion(host, host.eventsUrl)
    const req = request(host.eventsUrl, { headers: { authorization: `Bearer ${auth}` }, ca: k.ca })
    const connected = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        assert.equal(res.statusCode, 200)
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          events.push(...[...chunk.matchAll(/^event: (.+)$/gm)].map((m) => m[1]!))
          resolve()
        })
      })
      req.on('error', reject)
    })
    req.end()
    await connected
    const t0 = Date.now()
    await call('PATCH', `${vm}?${VM_API}`, {
      identity: { userAssignedIdentities: { [uami.id]: null } },
    })
    while (!events.includes('identity.detached') && Date.now() - t0 < 1000)
      await new Promise((r) => setTimeout(r, 20))
    req.destroy()
    assert.ok(events.includes('identity.detached'), `events: ${events.join(', ')}`)
    const res = await identityToken(k, host, vm, { mi_client_id: uami.clientId })
    assert.equal(res.status, 400, 'no token for a detached identity')
  })

  it("tells a host its own placements in network namespaces, and no one else's", async () => {
    const placed = `${rg}/providers/Microsoft.Compute/virtualMachines/vm-in-ns`
    const put = await call('PUT', `${placed}?${VM_API}`, {
      location: 'eastus',
      properties: { hostId: host.hostId, networkNamespace: 'vm-ns-1' },
      identity: { type: 'SystemAssigned' },
    })
    assert.equal(put.status, 201, put.text)
    const url = `${k.endpoints.authorityHost}/keyless/v1/hosts/placements`
    const as = async (h: TestHost, aud = url) =>
      https(url, { headers: { authorization: `Bearer ${await assertion(h, aud)}` }, ca: k.ca })
    const mine = await as(host)
    assert.equal(mine.status, 200, mine.text)
    // vm1 is on the host too, but names no namespace.
    assert.deepEqual(mine.json().value, [{ resourceId: placed, networkNamespace: 'vm-ns-1' }])
    assert.deepEqual((await as(other)).json().value, [])
    const elsewhere = await as(host, `${k.endpoints.authorityHost}/keyless/v1/events`)
    assert.equal(elsewhere.status, 401)
    const anonymous = await https(url, { ca: k.ca })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.json().error.code, 'AuthenticationFailed')
    assert.equal((await call('DELETE', `${placed}?${VM_API}`)).status, 200)
  })

  it('renews a host credential with a new key', async () => {
    const keys = newKeyPair()
    const res = await https(
      host.tokenEndpoint.replace(/\/[^/]+\/oauth2\/v2\.0\/token$/, '/keyless/v1/hosts/renew'),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await assertion(host, `${k.endpoints.authorityHost}/keyless/v1/hosts/renew`)}`,
        },
        body: JSON.stringify({ publicKey: keys.publicKeyPem }),
        ca: k.ca,
      },
    )
    assert.equal(res.status, 200, res.text)
    const renewed: TestHost = {
      ...host,
      certificate: res.json().certificate,
      privateKey: keys.privateKey,
    }
    assert.notEqual(
      new X509Certificate(renewed.certificate).serialNumber,
      new X509Certificate(host.certificate).serialNumber,
    )
    assert.equal((await identityToken(k, renewed, vm)).status, 200)
  })

  it('cuts a revoked host off at once and lists it as revoked', async () => {
    assert.equal((await identityToken(k, host, vm)).status, 200)
    const revoked = await call('POST', `/keyless/v1/hosts/${host.hostId}/revoke`)
    assert.equal(revoked.status, 200)
    assert.equal(revoked.json().state, 'revoked')
    const res = await identityToken(k, host, vm)
    assert.equal(res.status, 401)
    assert.deepEqual(res.json().error_codes, [7000112])
    const list = (await call('GET', '/keyless/v1/hosts')).json().value
    assert.equal(list.find((h: { id: string }) => h.id === host.hostId).state, 'revoked')
  })

  it('lets only the operator create join tokens', async () => {
    const res = await https(`${k.endpoints.authorityHost}/keyless/v1/joinTokens`, {
      method: 'POST',
      ca: k.ca,
    })
    assert.equal(res.status, 401)
    assert.equal(res.json().error.code, 'AuthenticationFailed')
  })
})
