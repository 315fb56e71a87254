// The cryptography of vault keys. node's crypto generates every key and does every RSA
// operation. It cannot sign a digest someone else computed, and Key Vault's `sign` takes a
// digest, so two signature schemes take their encoding from audited libraries:
// - RS*: node's RSA with PKCS#1 v1.5 padding over the DigestInfo of RFC 8017 §9.2 (note 1),
//   whose DER prefixes are constants of that RFC.
// - PS*: node-forge's EMSA-PSS encoding (salt = hash length, as Key Vault), then node's raw RSA.
// - ES*: @noble/curves ECDSA over the digest (`prehash: false`), P1363 `r||s` as JWS and Azure.
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { promisify } from 'node:util'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import forge from 'node-forge'
import type {
  Curve,
  EncryptionAlgorithm,
  KeyType,
  SignatureAlgorithm,
} from '../../domain/vault-keys.js'

const generate = promisify(generateKeyPair)

export interface KeyPairJwk {
  publicJwk: JsonWebKey
  privateJwk: JsonWebKey
}

const NODE_CURVE: Record<Curve, string> = {
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
}
const NOBLE = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const
const CURVE_BYTES: Record<Curve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }

function halves(privateKey: KeyObject): KeyPairJwk {
  return {
    privateJwk: privateKey.export({ format: 'jwk' }),
    publicJwk: createPublicKey(privateKey).export({ format: 'jwk' }),
  }
}

export async function generateKey(
  kty: KeyType,
  o: { size: number; curve: Curve; publicExponent: number },
): Promise<KeyPairJwk> {
  const { privateKey } =
    kty === 'RSA'
      ? await generate('rsa', { modulusLength: o.size, publicExponent: o.publicExponent })
      : await generate('ec', { namedCurve: NODE_CURVE[o.curve] })
  return halves(privateKey)
}

/** An imported private JWK, read by node (which checks it), and its public half. */
export function importPrivateJwk(jwk: JsonWebKey): KeyPairJwk & { key: KeyObject } {
  const key = createPrivateKey({ key: jwk, format: 'jwk' })
  return { ...halves(key), key }
}

export function modulusBits(publicJwk: JsonWebKey): number {
  const key = createPublicKey({ key: publicJwk, format: 'jwk' })
  return key.asymmetricKeyDetails?.modulusLength ?? 0
}

const DIGEST_INFO: Record<SignatureAlgorithm['hash'], Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
}

function pss(alg: SignatureAlgorithm) {
  const md = () => forge.md[alg.hash].create()
  return forge.pss.create({
    md: md(),
    mgf: forge.mgf.mgf1.create(md()),
    saltLength: alg.digestBytes,
    prng: { getBytesSync: (n: number) => randomBytes(n).toString('binary') },
  })
}

const binary = (b: Uint8Array) => Buffer.from(b).toString('binary')

function ecPoint(jwk: JsonWebKey, curve: Curve): Uint8Array {
  const pad = (v: string | undefined) => {
    const b = Buffer.from(v ?? '', 'base64url')
    return Buffer.concat([Buffer.alloc(Math.max(0, CURVE_BYTES[curve] - b.length)), b])
  }
  return Buffer.concat([Buffer.from([4]), pad(jwk.x), pad(jwk.y)])
}

function ecScalar(jwk: JsonWebKey, curve: Curve): Uint8Array {
  const d = Buffer.from(jwk.d ?? '', 'base64url')
  return Buffer.concat([Buffer.alloc(Math.max(0, CURVE_BYTES[curve] - d.length)), d])
}

export function sign(privateJwk: JsonWebKey, alg: SignatureAlgorithm, digest: Buffer): Buffer {
  if (alg.scheme === 'ecdsa') {
    const curve = alg.curve!
    const sig = NOBLE[curve].sign(digest, ecScalar(privateJwk, curve), {
      prehash: false,
      lowS: false,
    })
    return Buffer.from(sig)
  }
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' })
  if (alg.scheme === 'pkcs1') {
    return privateEncrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([DIGEST_INFO[alg.hash], digest]),
    )
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  const em = pss(alg).encode({ digest: () => forge.util.createBuffer(binary(digest)) }, bits)
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.from(em, 'binary'))
}

export function verify(
  publicJwk: JsonWebKey,
  alg: SignatureAlgorithm,
  digest: Buffer,
  signature: Buffer,
): boolean {
  try {
    if (alg.scheme === 'ecdsa') {
      const curve = alg.curve!
      return NOBLE[curve].verify(signature, digest, ecPoint(publicJwk, curve), {
        prehash: false,
        lowS: false,
      })
    }
    const key = createPublicKey({ key: publicJwk, format: 'jwk' })
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (signature.length !== Math.ceil(bits / 8)) return false
    if (alg.scheme === 'pkcs1') {
      const expected = Buffer.concat([DIGEST_INFO[alg.hash], digest])
      const got = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature)
      return got.length === expected.length && timingSafeEqual(got, expected)
    }
    const raw = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature)
    const emLen = Math.ceil((bits - 1) / 8)
    const em = raw.subarray(raw.length - emLen)
    return pss(alg).verify(binary(digest), binary(em), bits) as boolean
  } catch {
    return false
  }
}

const rsaOptions = (key: KeyObject, alg: EncryptionAlgorithm) => ({
  key,
  padding: constants.RSA_PKCS1_OAEP_PADDING,
  oaepHash: alg.oaepHash,
})

export function encrypt(publicJwk: JsonWebKey, alg: EncryptionAlgorithm, plaintext: Buffer) {
  const key = createPublicKey({ key: publicJwk, format: 'jwk' })
  return publicEncrypt(rsaOptions(key, alg), plaintext)
}

/** Throws on a ciphertext that does not open; the caller answers one error for every cause. */
export function decrypt(privateJwk: JsonWebKey, alg: EncryptionAlgorithm, ciphertext: Buffer) {
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' })
  return privateDecrypt(rsaOptions(key, alg), ciphertext)
}
