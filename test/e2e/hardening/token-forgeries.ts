// Every token an attacker (or a buggy issuer) might present, built from a genuine one. Rows that
// need a valid signature are signed with Keyless's real signing key, read from the data
// directory as only an insider could: each must be refused for what it says, not for its
// signature. Rows are signed with node's crypto or jose over hand-written JSON, so headers and
// claims can be exactly as hostile as intended (duplicate names, refused header members).
import { CompactEncrypt, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose'
import {
  createHmac,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  type KeyObject,
} from 'node:crypto'
import { currentSigningKey } from '../blob/forged-tokens.js'

export interface Forgery {
  name: string
  token: string
}

const b64 = (s: string) => Buffer.from(s).toString('base64url')

function jwsSignature(alg: string, input: string, key: KeyObject): string {
  const data = Buffer.from(input)
  if (alg === 'RS256') return sign('sha256', data, key).toString('base64url')
  if (alg === 'ES256')
    return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  return sign(null, data, key).toString('base64url')
}

/** A compact JWS over exactly these JSON texts. */
export function signRaw(headerJson: string, claimsJson: string, alg: string, key: KeyObject) {
  const input = `${b64(headerJson)}.${b64(claimsJson)}`
  return `${input}.${jwsSignature(alg, input, key)}`
}

export async function forgeries(genuine: string, dataDir: string): Promise<Forgery[]> {
  const claims = decodeJwt(genuine) as Record<string, unknown>
  const header = decodeProtectedHeader(genuine) as Record<string, unknown>
  const real = await currentSigningKey(dataDir)
  const now = Math.floor(Date.now() / 1000)
  const withHeader = (h: Record<string, unknown>, c: Record<string, unknown> = claims) =>
    signRaw(JSON.stringify(h), JSON.stringify(c), real.alg, real.privateKey)
  const withClaims = (c: Record<string, unknown>) => withHeader(header, c)
  const without = (name: string) => {
    const c = { ...claims }
    delete c[name]
    return withClaims(c)
  }
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const strangerEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const strangerJwk = stranger.export({ format: 'jwk' })
  const publicJwk = { kty: strangerJwk.kty, n: strangerJwk.n, e: strangerJwk.e }
  const hsInput = `${b64(JSON.stringify({ ...header, alg: 'HS256' }))}.${b64(JSON.stringify(claims))}`
  const [h, , s] = genuine.split('.')
  const otherTenant = randomUUID()
  const issuerBase = String(claims.iss).replace(/[^/]+\/$/, '')
  const claimsText = JSON.stringify(claims)
  const headerText = JSON.stringify(header)
  return [
    { name: 'not a JWS', token: 'abc.def' },
    { name: 'alg none', token: `${b64('{"alg":"none","typ":"JWT"}')}.${b64(claimsText)}.` },
    {
      name: 'HS256 keyed with the public key',
      token: `${hsInput}.${createHmac('sha256', real.publicPem).update(hsInput).digest('base64url')}`,
    },
    {
      name: 'an unknown kid',
      token: signRaw(
        JSON.stringify({ ...header, alg: 'RS256', kid: randomUUID(), x5t: undefined }),
        claimsText,
        'RS256',
        stranger,
      ),
    },
    {
      name: 'the real kid with another key',
      token: signRaw(JSON.stringify({ ...header, alg: 'RS256' }), claimsText, 'RS256', stranger),
    },
    {
      name: 'an algorithm the installation does not sign with',
      token: signRaw(
        JSON.stringify({ ...header, alg: real.alg === 'ES256' ? 'RS256' : 'ES256' }),
        claimsText,
        real.alg === 'ES256' ? 'RS256' : 'ES256',
        real.alg === 'ES256' ? stranger : strangerEc,
      ),
    },
    {
      name: 'a tampered payload',
      token: `${h}.${b64(JSON.stringify({ ...claims, oid: randomUUID() }))}.${s}`,
    },
    { name: 'no kid', token: withHeader({ alg: real.alg, typ: 'JWT' }) },
    {
      name: 'a jku header',
      token: withHeader({ ...header, jku: 'https://attacker.example/jwks' }),
    },
    {
      name: 'a jwk header with the key that signed',
      token: signRaw(
        JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: header.kid, jwk: publicJwk }),
        claimsText,
        'RS256',
        stranger,
      ),
    },
    { name: 'an embedded jwk header', token: withHeader({ ...header, jwk: publicJwk }) },
    {
      name: 'an x5u header',
      token: withHeader({ ...header, x5u: 'https://attacker.example/cert' }),
    },
    { name: 'a crit header', token: withHeader({ ...header, crit: ['exp'] }) },
    { name: 'a zip header', token: withHeader({ ...header, zip: 'DEF' }) },
    { name: 'a b64 header', token: withHeader({ ...header, b64: false, crit: ['b64'] }) },
    { name: 'typ other than JWT', token: withHeader({ ...header, typ: 'at+jwt' }) },
    {
      name: 'a JWE',
      token: await new CompactEncrypt(Buffer.from(claimsText))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: String(header.kid) })
        .encrypt(randomBytes(32)),
    },
    {
      name: 'a duplicate oid claim',
      token: signRaw(
        headerText,
        claimsText.replace(/^\{/, `{"oid":"${randomUUID()}",`),
        real.alg,
        real.privateKey,
      ),
    },
    {
      name: 'a duplicate escaped aud claim',
      token: signRaw(
        headerText,
        claimsText.replace(/^\{/, '{"\\u0061ud":"https://attacker.example",'),
        real.alg,
        real.privateKey,
      ),
    },
    {
      name: 'a duplicate alg header',
      token: signRaw(
        headerText.replace(/^\{/, '{"alg":"none",'),
        claimsText,
        real.alg,
        real.privateKey,
      ),
    },
    { name: 'no exp', token: without('exp') },
    { name: 'no iat', token: without('iat') },
    { name: 'no oid', token: without('oid') },
    { name: 'no tid', token: without('tid') },
    { name: 'no ver', token: without('ver') },
    { name: 'no iss', token: without('iss') },
    { name: 'no aud', token: without('aud') },
    { name: 'a ver Keyless does not issue', token: withClaims({ ...claims, ver: '2.0' }) },
    {
      name: 'a tid other than the tenant in iss',
      token: withClaims({ ...claims, tid: otherTenant }),
    },
    {
      name: 'another tenant in iss and tid',
      token: withClaims({ ...claims, tid: otherTenant, iss: `${issuerBase}${otherTenant}/` }),
    },
    {
      name: 'another issuer',
      token: withClaims({ ...claims, iss: `https://login.example.com/${String(claims.tid)}/` }),
    },
    {
      name: 'an audience array',
      token: withClaims({ ...claims, aud: [claims.aud, 'https://attacker.example'] }),
    },
    {
      name: 'an exp centuries away',
      token: withClaims({ ...claims, exp: now + 300 * 365 * 86_400 }),
    },
    {
      name: 'a lifetime longer than issued',
      token: withClaims({ ...claims, iat: now, nbf: now, exp: now + 86_400 + 301 + 3600 }),
    },
    { name: 'a fractional exp', token: withClaims({ ...claims, exp: Number(claims.exp) + 0.5 }) },
    { name: 'an exp as a string', token: withClaims({ ...claims, exp: String(claims.exp) }) },
    { name: 'an infinite-looking exp', token: withClaims({ ...claims, exp: 1e308 }) },
    {
      name: 'an iat in the future',
      token: withClaims({ ...claims, iat: now + 3600, nbf: now, exp: now + 7200 }),
    },
    { name: 'an nbf in the future', token: withClaims({ ...claims, nbf: now + 3600 }) },
    { name: 'a fractional nbf', token: withClaims({ ...claims, nbf: Number(claims.nbf) + 0.25 }) },
    {
      name: 'expired',
      token: withClaims({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
    },
    {
      name: 'claims that are an array',
      token: signRaw(headerText, '[1,2]', real.alg, real.privateKey),
    },
    {
      name: 'a token longer than the limit',
      token: withClaims({ ...claims, pad: 'x'.repeat(9000) }),
    },
    {
      name: 'a header longer than the limit',
      token: withHeader({ ...header, kid: `${String(header.kid)}${'k'.repeat(600)}` }),
    },
  ]
}

/** A genuine-looking token signed with the real key: the control row (it must be accepted). */
export async function resigned(genuine: string, dataDir: string): Promise<string> {
  const real = await currentSigningKey(dataDir)
  return new SignJWT(decodeJwt(genuine))
    .setProtectedHeader(decodeProtectedHeader(genuine) as { alg: string })
    .sign(real.privateKey)
}
