// Token-signing key pairs: generated with WebCrypto, each wrapped in a self-signed certificate
// so JWKS can carry `x5c`/`x5t` as Entra's does, and encrypted at rest as a compact JWE
// (`dir` + A256GCM) under the signing-keys key derived from the data directory's master key
// (common/key-hierarchy.ts); neither key enters the database.
import { createHash, createPrivateKey, KeyObject, randomBytes, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { exportJWK, type JWK } from 'jose'
import type { PurposeKey } from '../common/key-hierarchy.js'
import { openJwe, sealJwe } from '../common/sealed-jwe.js'

x509.cryptoProvider.set(webcrypto as never)

export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA'
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA']

const PARAMS: Record<SigningAlgorithm, { gen: object; sign: object }> = {
  RS256: {
    gen: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  ES256: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  EdDSA: { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
}

export interface GeneratedKey {
  kid: string
  alg: SigningAlgorithm
  publicJwk: JWK
  privateKey: KeyObject
}

/** Generates a key pair and its certificate; kid = x5t = base64url SHA-1 of the certificate. */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  now: number,
  validUntil: number,
): Promise<GeneratedKey> {
  const keys = (await webcrypto.subtle.generateKey(PARAMS[alg].gen as never, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01' + randomBytes(15).toString('hex'),
    name: 'CN=Keyless token signing',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(validUntil),
    signingAlgorithm: PARAMS[alg].sign as never,
    keys,
  })
  const der = Buffer.from(cert.rawData)
  const kid = createHash('sha1').update(der).digest('base64url')
  const publicKey = KeyObject.from(keys.publicKey)
  const jwk = await exportJWK(publicKey)
  return {
    kid,
    alg,
    publicJwk: { ...jwk, use: 'sig', alg, kid, x5t: kid, x5c: [der.toString('base64')] },
    privateKey: KeyObject.from(keys.privateKey),
  }
}

export function encryptPrivateKey(key: KeyObject, wrappingKey: PurposeKey): Promise<string> {
  return sealJwe(key.export({ format: 'der', type: 'pkcs8' }), wrappingKey)
}

export async function decryptPrivateKey(jwe: string, wrappingKey: PurposeKey): Promise<KeyObject> {
  const { plaintext } = await openJwe(jwe, wrappingKey)
  return createPrivateKey({ key: Buffer.from(plaintext), format: 'der', type: 'pkcs8' })
}
