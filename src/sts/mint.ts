// Signing an access token: the header names the key twice, as Entra's v1 tokens do
// (`kid` and `x5t` carry the same certificate thumbprint). A compact JWS (RFC 7515 §7.1) is
// assembled here and signed with synchronous `crypto.sign` on the key ring's KeyObject: jose's
// async SignJWT goes through WebCrypto (a thread-pool round trip per signature), which costs
// more than an ES256 or EdDSA signature itself. Verification stays with jose.
import { sign, type KeyObject } from 'node:crypto'
import type { AccessTokenClaims } from '../domain/token-claims.js'
import type { SigningAlgorithm } from './key-material.js'
import type { LoadedKey } from './key-ring.js'

/** Signs a JWS signing input as the algorithm's JWS form requires (RFC 7518 §3.1, RFC 8037). */
type Signer = (signingInput: Buffer) => Buffer

function signerFor(alg: SigningAlgorithm, key: KeyObject): Signer {
  switch (alg) {
    case 'RS256':
      return (data) => sign('sha256', data, key)
    case 'ES256':
      // JWS carries R || S (RFC 7518 §3.4), not the DER form OpenSSL produces by default.
      return (data) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
    case 'EdDSA':
      return (data) => sign(null, data, key)
  }
}

interface PreparedKey {
  /** `base64url(protected header) + '.'`, serialized once per key. */
  prefix: string
  sign: Signer
}

// Per loaded key: a key ring entry is immutable, so its header and signer never go stale.
const prepared = new WeakMap<LoadedKey, PreparedKey>()

function prepare(key: LoadedKey): PreparedKey {
  let p = prepared.get(key)
  if (!p) {
    // Same members, in the same order, as the SignJWT header this replaced.
    const header = { typ: 'JWT', alg: key.alg, kid: key.kid, x5t: key.kid }
    p = {
      prefix: `${Buffer.from(JSON.stringify(header)).toString('base64url')}.`,
      sign: signerFor(key.alg, key.privateKey),
    }
    prepared.set(key, p)
  }
  return p
}

// Scratch space for the claims' UTF-8 and for the signing input. `crypto.sign` is synchronous,
// so two buffers serve every call: a token then allocates strings only, no ArrayBuffers (whose
// allocation and collection cost more than the JSON work itself).
let utf8 = Buffer.allocUnsafeSlow(4096)
let input = Buffer.allocUnsafeSlow(8192)

/** The compact JWS of `claims`, signed by `key`. */
export function signAccessToken(claims: AccessTokenClaims, key: LoadedKey): string {
  const { prefix, sign: signWith } = prepare(key)
  const json = JSON.stringify(claims)
  // At most 3 UTF-8 bytes per UTF-16 unit, and 4 base64 characters per 3 bytes.
  if (utf8.length < json.length * 3) utf8 = Buffer.allocUnsafeSlow(json.length * 3)
  const payload = utf8.toString('base64url', 0, utf8.write(json, 0, 'utf8'))
  if (input.length < prefix.length + payload.length) {
    input = Buffer.allocUnsafeSlow(prefix.length + payload.length)
  }
  let n = input.write(prefix, 0, 'latin1')
  n += input.write(payload, n, 'latin1')
  return `${prefix}${payload}.${signWith(input.subarray(0, n)).toString('base64url')}`
}
