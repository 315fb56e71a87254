// The host protocol from the attacker's side: assertions whose signature is good but whose
// header or claims break the rules (issue 11 §2), certificates of the Keyless CA that are not
// host certificates (issue 19 §9), TLS client certificates (RFC 8705) forged, foreign or revoked
// mid-connection, and enrollment guessed at (issue 19 §6).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, randomUUID, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from 'node:https'
import { issueCertificate, type PemPair } from '../../../src/common/pki.js'
import { tokenEndpointPath } from '../../../src/common/agent-protocol.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { form, https, type HttpResult } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import { compactJws, hostAssertionClaims } from '../../helpers/jws.js'
import {
  der,
  enroll,
  foreignCertificate,
  identityToken,
  newKeyPair,
  type TestHost,
} from './hosts.config.js'

const VM_API = 'api-version=2024-07-01'

describe('host protocol attacks', () => {
  let k: KeylessProcess
  let call: ReturnType<typeof arm>
  let host: TestHost
  let vm: string
  let ca: PemPair

  const joinToken = async () =>
    (await call('POST', '/keyless/v1/joinTokens')).json().token as string

  before(async () => {
    k = await startKeyless()
    call = arm(k, await operatorToken(k))
    // The installation's own CA (seeded into the data directory by the test run), as an insider
    // who can have it sign a certificate that is not a host certificate would use it.
    ca = {
      certPem: readFileSync(join(k.dataDir, 'ca.crt'), 'utf8'),
      keyPem: readFileSync(join(k.dataDir, 'ca.key'), 'utf8'),
    }
    host = await enroll(k, await joinToken())
    const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/attack-rg`
    await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
    vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`
    const created = await call('PUT', `${vm}?${VM_API}`, {
      location: 'eastus',
      properties: { hostId: host.hostId },
      identity: { type: 'SystemAssigned' },
    })
    assert.equal(created.status, 201, created.text)
  })
  after(async () => k?.dispose())

  /**
   * An assertion with the given header and claims, signed by the host key: a good signature.
   * Built by hand (RFC 7515 compact form) so that any header can be sent, `crit` included.
   */
  function signed(
    header: Record<string, unknown>,
    claims: Record<string, unknown> = {},
    hmacKey?: Buffer,
  ): Promise<string> {
    const payload = {
      ...hostAssertionClaims(host.hostId, host.tokenEndpoint, Math.floor(Date.now() / 1000), 300),
      ...claims,
    }
    const key = hmacKey
      ? (input: string) => createHmac('sha256', hmacKey).update(input).digest()
      : host.privateKey
    return Promise.resolve(
      compactJws({ alg: 'ES256', x5c: [der(host.certificate)], ...header }, payload, key),
    )
  }

  const now = () => Math.floor(Date.now() / 1000)
  const v1Endpoint = () =>
    `${k.endpoints.authorityHost}${tokenEndpointPath(k.endpoints.tenantId, 'v1')}`

  const refusals: [string, () => Promise<string>][] = [
    ['a jku header', () => signed({ jku: 'https://evil.example/jwks' })],
    ['a jwk header', () => signed({ jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } })],
    ['an x5u header', () => signed({ x5u: 'https://evil.example/cert.pem' })],
    ['a crit header', () => signed({ crit: ['x-keyless'], 'x-keyless': 1 })],
    ['an unknown header member', () => signed({ zip: 'DEF' })],
    [
      'alg HS256 keyed with the certificate',
      () => signed({ alg: 'HS256' }, {}, Buffer.from(der(host.certificate))),
    ],
    ['a typ other than JWT', () => signed({ typ: 'at+jwt' })],
    ['two x5c entries', () => signed({ x5c: [der(host.certificate), der(ca.certPem)] })],
    ['aud as an array holding the endpoint', () => signed({}, { aud: [host.tokenEndpoint] })],
    ['aud naming the other token endpoint', () => signed({}, { aud: v1Endpoint() })],
    [
      'iat ten minutes in the future',
      () => signed({}, { iat: now() + 600, nbf: now(), exp: now() + 700 }),
    ],
    ['a lifetime over ten minutes', () => signed({}, { exp: now() + 601 + 60 })],
    ['no jti', () => signed({}, { jti: undefined })],
  ]
  for (const [name, make] of refusals) {
    it(`refuses an assertion with ${name}, though its signature is good`, async () => {
      const res = await identityToken(k, host, vm, {}, await make())
      assert.equal(res.status, 401, res.text)
      assert.equal(res.json().error, 'invalid_client')
      assert.ok(!res.json().access_token)
    })
  }

  it('accepts an assertion with typ JWT and a kid', async () => {
    const res = await identityToken(k, host, vm, {}, await signed({ typ: 'JWT', kid: 'host-key' }))
    assert.equal(res.status, 200, res.text)
  })

  /** A certificate of the Keyless CA for the host's own key, but not a host certificate. */
  const insiderCertificate = async (usage: 'server' | 'client', commonName = host.hostId) =>
    (
      await issueCertificate(ca, {
        commonName,
        usage,
        publicKeyPem: host.publicKeyPem,
        now: Date.now(),
        validityDays: 1,
      })
    ).certPem

  it('refuses a certificate of the Keyless CA without the clientAuth usage', async () => {
    const cert = await insiderCertificate('server')
    const res = await identityToken(k, host, vm, {}, await signed({ x5c: [der(cert)] }))
    assert.equal(res.status, 401, res.text)
    assert.deepEqual(res.json().error_codes, [700027])
  })

  it('refuses a certificate of the Keyless CA whose subject is not a host id', async () => {
    const cert = await insiderCertificate('client', host.hostId.toUpperCase())
    const res = await identityToken(
      k,
      host,
      vm,
      {},
      await signed(
        { x5c: [der(cert)] },
        { iss: host.hostId.toUpperCase(), sub: host.hostId.toUpperCase() },
      ),
    )
    assert.equal(res.status, 401, res.text)
    assert.deepEqual(res.json().error_codes, [700027])
  })

  /**
   * Runs `fn` with a kept-alive connection (an Agent of one socket) presenting `cert` and `key`
   * as TLS client certificate, and a token request of `as` for `caller` on it.
   */
  async function withTlsClient(
    cert: string,
    key: KeyObject,
    fn: (ask: (clientId?: string) => Promise<HttpResult>) => Promise<void>,
    as: TestHost = host,
    caller = vm,
  ) {
    const agent = new Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: k.ca,
      cert,
      key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    })
    const ask = (clientId = as.hostId) =>
      https(as.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'client_credentials',
          client_id: clientId,
          scope: 'https://vault.azure.net/.default',
          xms_az_rid: caller,
        }),
        agent,
      })
    try {
      await fn(ask)
    } finally {
      agent.destroy()
    }
  }

  const refusedWith = async (res: HttpResult, code: number) => {
    assert.equal(res.status, 401, res.text)
    assert.equal(res.json().error, 'invalid_client')
    assert.deepEqual(res.json().error_codes, [code])
  }

  describe('TLS client certificates (RFC 8705)', () => {
    it('issues to the host certificate on a kept-alive connection, request after request', () =>
      withTlsClient(host.certificate, host.privateKey, async (ask) => {
        for (let i = 0; i < 3; i++) {
          const res = await ask()
          assert.equal(res.status, 200, res.text)
        }
      }))

    it('refuses a client_id other than the certificate host', () =>
      withTlsClient(host.certificate, host.privateKey, async (ask) =>
        refusedWith(await ask(randomUUID()), 700021),
      ))

    it('refuses a certificate of the Keyless CA that is not a host certificate', async () =>
      withTlsClient(await insiderCertificate('server'), host.privateKey, async (ask) =>
        refusedWith(await ask(), 700027),
      ))

    it('refuses a certificate naming the host from another CA', async () => {
      const foreign = await foreignCertificate(host.hostId)
      await withTlsClient(foreign.certPem, foreign.privateKey, async (ask) =>
        refusedWith(await ask(), 700027),
      )
    })

    it('refuses a request with neither a certificate nor an assertion', async () => {
      const res = await https(host.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'client_credentials',
          client_id: host.hostId,
          scope: 'https://vault.azure.net/.default',
          xms_az_rid: vm,
        }),
        ca: k.ca,
      })
      assert.equal(res.status, 400, res.text)
      assert.equal(res.json().error, 'invalid_request')
    })

    it('cuts a revoked host off on the connection it already has', async () => {
      const victim = await enroll(k, await joinToken())
      const other = `${vm}-other`
      await call('PUT', `${other}?${VM_API}`, {
        location: 'eastus',
        properties: { hostId: victim.hostId },
        identity: { type: 'SystemAssigned' },
      })
      await withTlsClient(
        victim.certificate,
        victim.privateKey,
        async (ask) => {
          assert.equal((await ask()).status, 200)
          const revoked = await call('POST', `/keyless/v1/hosts/${victim.hostId}/revoke`)
          assert.equal(revoked.status, 200)
          await refusedWith(await ask(), 7000112)
        },
        victim,
        other,
      )
    })
  })

  describe('enrollment', () => {
    const tryEnroll = (joinToken: string) =>
      https(`${k.endpoints.authorityHost}/keyless/v1/hosts/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ joinToken, name: 'guess', publicKey: newKeyPair().publicKeyPem }),
        ca: k.ca,
      })

    // Last: it uses up this address's allowance of failed attempts.
    it('slows a join-token guesser down with 429 and Retry-After, in the ARM envelope', async () => {
      const answers: number[] = []
      for (let i = 0; i < 12; i++) answers.push((await tryEnroll(`kjt~guess-${i}`)).status)
      assert.deepEqual(answers.slice(0, 10), Array(10).fill(401))
      const res = await tryEnroll(await joinToken())
      assert.equal(res.status, 429, res.text)
      assert.ok(Number(res.headers['retry-after']) >= 1)
      assert.equal(res.json().error.code, 'TooManyRequests')
    })
  })
})
