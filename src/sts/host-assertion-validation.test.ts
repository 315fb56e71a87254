// Host-assertion validation, one row per rule of host-assertion.ts: the header held to what a
// host sends, the certificate, the claims, the clock window, replay and the host's state. Real
// keys and certificates of a real CA, a real SQLite store for the replay guard, a frozen clock.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SignJWT, type JWTPayload } from 'jose'
import { AgentErrorCodes } from '../common/agent-protocol.js'
import { createCertificateAuthority, issueCertificate, LOCAL_NAMES } from '../common/pki.js'
import type { KeylessError } from '../domain/errors.js'
import type { HostRow } from '../store/schema.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import {
  CLOCK_TOLERANCE_S as T,
  createHostAuthenticator,
  type HostAuthenticator,
} from './host-assertion.js'
import { createHostCertificates } from './host-certificates.js'

const AUD = 'https://keyless.test/t/oauth2/v2.0/token'
const NOW = Date.UTC(2026, 0, 15, 12)
const S = NOW / 1000

interface Signer {
  hostId: string
  der: string
  key: KeyObject
}

async function hostCertificate(
  ca: Awaited<ReturnType<typeof createCertificateAuthority>>,
): Promise<Signer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const hostId = randomUUID()
  const cert = await issueCertificate(ca, {
    commonName: hostId,
    usage: 'client',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    now: NOW - 3_600_000,
    validityDays: 1,
  })
  const der = cert.certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  return { hostId, der, key: privateKey }
}

interface Shape {
  header?: Record<string, unknown>
  claims?: JWTPayload
  signWith?: KeyObject
}

/** An assertion as a host signs it, with the given header members and claims changed. */
function assertion(s: Signer, { header = {}, claims = {}, signWith }: Shape = {}) {
  return new SignJWT({
    jti: randomUUID(),
    iss: s.hostId,
    sub: s.hostId,
    aud: AUD,
    iat: S,
    exp: S + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [s.der], ...header } as never)
    .sign(signWith ?? s.key)
}

/** A JWT with any header at all (the signature is never looked at for these). */
const unsigned = (header: Record<string, unknown>) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.AAAA`

function rejectsWith(p: Promise<unknown>, aadsts: number, message: RegExp) {
  return assert.rejects(p, (e: KeylessError) => {
    assert.equal(e.status, 401)
    assert.equal(e.code, 'invalid_client')
    assert.equal(e.extra?.aadsts, aadsts)
    assert.match(e.message, message)
    return true
  })
}

describe('host assertion validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-host-assertion-'))
  let store: Store
  let authenticate: HostAuthenticator
  let host: Signer
  let stranger: Signer
  const rows = new Map<string, HostRow>()
  const fetchHost = async (id: string) => rows.get(id)

  before(async () => {
    store = await openStore({ sqliteFile: join(dir, 'k.db') })
    const ca = await createCertificateAuthority('Test CA', {
      now: NOW - 3_600_000,
      validityDays: 2,
      permitted: LOCAL_NAMES,
    })
    const other = await createCertificateAuthority('Other CA', {
      now: NOW - 3_600_000,
      validityDays: 2,
      permitted: LOCAL_NAMES,
    })
    host = await hostCertificate(ca)
    stranger = await hostCertificate(other)
    rows.set(host.hostId, { id: host.hostId, state: 'active' } as HostRow)
    authenticate = createHostAuthenticator({
      checkCertificate: createHostCertificates({ caCertPem: ca.certPem }),
      hosts: { fetch: fetchHost },
      store,
      clock: { now: () => NOW },
    })
  })
  after(async () => {
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('accepts a well-formed assertion once, then refuses it as replayed', async () => {
    const a = await assertion(host)
    assert.equal((await authenticate(a, AUD, fetchHost)).id, host.hostId)
    await rejectsWith(authenticate(a, AUD, fetchHost), 700021, /already used/)
  })

  it('accepts typ client-authentication+jwt, no typ, and a string kid', async () => {
    for (const header of [
      { typ: 'client-authentication+jwt' },
      { typ: undefined },
      { kid: 'k1' },
    ]) {
      const a = await assertion(host, { header })
      assert.equal((await authenticate(a, AUD, fetchHost)).id, host.hostId)
    }
  })

  it('accepts the edges of the clock window (five minutes of skew)', async () => {
    const edges = [
      { iat: S - 300 - T + 1, exp: S - T + 1 },
      { iat: S + T - 1, exp: S + T + 299 },
      { iat: S - 300, exp: S + 300 },
    ]
    for (const claims of edges) {
      const a = await assertion(host, { claims })
      assert.equal((await authenticate(a, AUD, fetchHost)).id, host.hostId, JSON.stringify(claims))
    }
  })

  const refusals: [string, () => Promise<string>, number, RegExp][] = [
    ['not a JWT', async () => 'not-a-jwt', 50027, /not a valid JWT/],
    [
      'a jku header',
      () => assertion(host, { header: { jku: 'https://evil' } }),
      5002738,
      /may not carry 'jku'/,
    ],
    [
      'a jwk and crit header',
      async () => unsigned({ alg: 'ES256', x5c: [host.der], jwk: {}, crit: [] }),
      5002738,
      /may not carry 'jwk', 'crit'/,
    ],
    [
      'alg HS256',
      async () => unsigned({ alg: 'HS256', x5c: [host.der] }),
      5002738,
      /signed with ES256/,
    ],
    [
      'alg none',
      async () => unsigned({ alg: 'none', x5c: [host.der] }),
      5002738,
      /signed with ES256/,
    ],
    [
      'typ at+jwt',
      () => assertion(host, { header: { typ: 'at+jwt' } }),
      5002738,
      /typ must be JWT/,
    ],
    [
      'a numeric kid',
      () => assertion(host, { header: { kid: 7 } }),
      5002738,
      /kid must be a string/,
    ],
    ['no x5c', async () => unsigned({ alg: 'ES256' }), 5002738, /one x5c entry/],
    [
      'two x5c entries',
      () => assertion(host, { header: { x5c: [host.der, host.der] } }),
      5002738,
      /one x5c entry/,
    ],
    [
      'an x5c entry that is no string',
      async () => unsigned({ alg: 'ES256', x5c: [7] }),
      5002738,
      /one x5c entry/,
    ],
    [
      'an unreadable certificate',
      () => assertion(host, { header: { x5c: ['AAAA'] } }),
      5002738,
      /certificate cannot be read/,
    ],
    [
      'a certificate of another CA',
      () => assertion(stranger),
      700027,
      /not a valid Keyless host certificate/,
    ],
    [
      'a signature by another key',
      () => assertion(host, { signWith: stranger.key }),
      700027,
      /failed signature validation/,
    ],
    [
      'another audience',
      () => assertion(host, { claims: { aud: `${AUD}x` } }),
      700021,
      /claim 'aud' is invalid/,
    ],
    [
      'an audience array',
      () => assertion(host, { claims: { aud: [AUD, 'https://other'] } }),
      700021,
      /aud must be one URL/,
    ],
    [
      'another issuer',
      () => assertion(host, { claims: { iss: 'someone' } }),
      700021,
      /claim 'iss' is invalid/,
    ],
    [
      'another subject',
      () => assertion(host, { claims: { sub: 'someone' } }),
      700021,
      /claim 'sub' is invalid/,
    ],
    [
      'no jti',
      () => assertion(host, { claims: { jti: undefined } }),
      700021,
      /claim 'jti' is invalid/,
    ],
    [
      'an empty jti',
      () => assertion(host, { claims: { jti: '' } }),
      700021,
      /claim 'jti' is invalid/,
    ],
    [
      'a jti of 257 characters',
      () => assertion(host, { claims: { jti: 'j'.repeat(257) } }),
      700021,
      /claim 'jti' is invalid/,
    ],
    [
      'a numeric jti',
      () => assertion(host, { claims: { jti: 5 as never } }),
      700021,
      /claim 'jti' is invalid/,
    ],
    [
      'no iat',
      () => assertion(host, { claims: { iat: undefined } }),
      700024,
      /not within its valid time range/,
    ],
    [
      'expired beyond the skew',
      () => assertion(host, { claims: { iat: S - 301 - T, exp: S - 1 - T } }),
      700024,
      /not within its valid time range/,
    ],
    [
      'issued beyond the skew in the future',
      () => assertion(host, { claims: { iat: S + T + 1, exp: S + T + 301 } }),
      700024,
      /not within its valid time range/,
    ],
    [
      'not yet valid (nbf) beyond the skew',
      () => assertion(host, { claims: { nbf: S + T + 1 } }),
      700021,
      /claim 'nbf' is invalid/,
    ],
    [
      'a lifetime over 600 s',
      () => assertion(host, { claims: { iat: S - 10, exp: S + 591 } }),
      700024,
      /lives too long/,
    ],
  ]
  for (const [name, make, aadsts, message] of refusals) {
    it(`refuses ${name}`, async () => {
      await rejectsWith(authenticate(await make(), AUD, fetchHost), aadsts, message)
    })
  }

  it('refuses a jti of 256 characters only once it is replayed', async () => {
    const a = await assertion(host, { claims: { jti: 'k'.repeat(256) } })
    assert.equal((await authenticate(a, AUD, fetchHost)).id, host.hostId)
    await rejectsWith(authenticate(a, AUD, fetchHost), 700021, /already used/)
  })

  it('refuses a host that is not enrolled, or revoked, after a valid assertion', async () => {
    const none = async () => undefined
    await rejectsWith(
      authenticate(await assertion(host), AUD, none),
      AgentErrorCodes.hostNotEnrolled,
      /is not enrolled/,
    )
    const revoked = async (id: string) => ({ id, state: 'revoked' }) as HostRow
    await rejectsWith(
      authenticate(await assertion(host), AUD, revoked),
      AgentErrorCodes.hostRevoked,
      /is revoked/,
    )
  })
})
