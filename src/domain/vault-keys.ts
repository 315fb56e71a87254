// Rules of Key Vault keys that need no I/O: which key types, sizes and curves a vault creates,
// which algorithm goes with which key, how long a digest each signature algorithm takes, and
// what a rotation policy may say. The operations that use them live in dataplane/vault.

export const KEY_TYPES = ['RSA', 'EC'] as const
export type KeyType = (typeof KEY_TYPES)[number]

export const RSA_KEY_SIZES = [2048, 3072, 4096] as const
export const DEFAULT_RSA_KEY_SIZE = 2048
export const EC_CURVES = ['P-256', 'P-384', 'P-521'] as const
export type Curve = (typeof EC_CURVES)[number]
export const DEFAULT_CURVE: Curve = 'P-256'

export const KEY_OPERATIONS = [
  'encrypt',
  'decrypt',
  'sign',
  'verify',
  'wrapKey',
  'unwrapKey',
  'import',
] as const
export type KeyOperation = (typeof KEY_OPERATIONS)[number]

/** What Key Vault grants a key created without `key_ops`. */
export function defaultKeyOperations(kty: KeyType): KeyOperation[] {
  return kty === 'RSA'
    ? ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey']
    : ['sign', 'verify']
}

/** Operations a key type can perform at all (an EC key cannot encrypt). */
export function supportedOperations(kty: KeyType): readonly KeyOperation[] {
  return kty === 'RSA' ? KEY_OPERATIONS : ['sign', 'verify', 'import']
}

export interface SignatureAlgorithm {
  kty: KeyType
  /** node's digest name, and the digest length the caller must send. */
  hash: 'sha256' | 'sha384' | 'sha512'
  digestBytes: number
  scheme: 'pkcs1' | 'pss' | 'ecdsa'
  /** ECDSA only: the curve the algorithm is defined over. */
  curve?: Curve
}

const sha = (bits: 256 | 384 | 512) => ({
  hash: `sha${bits}` as const,
  digestBytes: bits / 8,
})

export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  RS256: { kty: 'RSA', scheme: 'pkcs1', ...sha(256) },
  RS384: { kty: 'RSA', scheme: 'pkcs1', ...sha(384) },
  RS512: { kty: 'RSA', scheme: 'pkcs1', ...sha(512) },
  PS256: { kty: 'RSA', scheme: 'pss', ...sha(256) },
  PS384: { kty: 'RSA', scheme: 'pss', ...sha(384) },
  PS512: { kty: 'RSA', scheme: 'pss', ...sha(512) },
  ES256: { kty: 'EC', scheme: 'ecdsa', curve: 'P-256', ...sha(256) },
  ES384: { kty: 'EC', scheme: 'ecdsa', curve: 'P-384', ...sha(384) },
  ES512: { kty: 'EC', scheme: 'ecdsa', curve: 'P-521', ...sha(512) },
}

export interface EncryptionAlgorithm {
  /** OAEP's hash (RSA-OAEP is SHA-1 by definition, RFC 7518 §4.3). */
  oaepHash: 'sha1' | 'sha256'
}

/** RSA encryption of vault keys (encrypt, decrypt, wrapKey, unwrapKey). */
export const ENCRYPTION_ALGORITHMS: Readonly<Record<string, EncryptionAlgorithm>> = {
  'RSA-OAEP': { oaepHash: 'sha1' },
  'RSA-OAEP-256': { oaepHash: 'sha256' },
}

/** Azure still accepts RSA1_5 on vault keys; Keyless refuses it on every operation: PKCS#1 v1.5
 * decryption answers a padding oracle (Bleichenbacher, CVE-2023-46809), node refuses it for
 * that reason, and encrypting what could not be decrypted here would be a trap. */
export const REFUSED_ENCRYPTION_ALGORITHMS: ReadonlySet<string> = new Set(['RSA1_5'])

/** The largest plaintext an RSA modulus of `modulusBytes` takes with the algorithm. */
export function maxPlaintextBytes(alg: EncryptionAlgorithm, modulusBytes: number): number {
  const h = alg.oaepHash === 'sha1' ? 20 : 32
  return modulusBytes - 2 * h - 2
}

/** ISO 8601 durations as rotation policies use them: `P90D`, `P1Y2M`, `PT12H`. */
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/

export function isIsoDuration(value: unknown): value is string {
  return typeof value === 'string' && DURATION.test(value)
}

/** A duration's length in ms, months as 30 days and years as 365 (what a sweep needs). */
export function durationMs(value: string): number {
  const m = DURATION.exec(value)
  if (m === null) throw new TypeError('not an ISO 8601 duration')
  const n = (s: string | undefined) => (s === undefined ? 0 : Number.parseInt(s, 10))
  const days = n(m[1]) * 365 + n(m[2]) * 30 + n(m[3]) * 7 + n(m[4])
  return ((days * 24 + n(m[6])) * 60 + n(m[7])) * 60_000 + n(m[8]) * 1000
}

export interface LifetimeAction {
  trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string }
  action: { type: 'Rotate' | 'Notify' }
}

export interface KeyRotationPolicy {
  lifetimeActions: LifetimeAction[]
  expiryTime?: string
}

/** When the newest version of a key is due for rotation under its policy, or undefined. */
export function rotationDueAt(
  policy: KeyRotationPolicy,
  latest: { createdAt: number; exp: number | null },
): number | undefined {
  const rotate = policy.lifetimeActions.find((a) => a.action.type === 'Rotate')
  if (rotate === undefined) return undefined
  const { timeAfterCreate, timeBeforeExpiry } = rotate.trigger
  if (timeAfterCreate !== undefined) return latest.createdAt + durationMs(timeAfterCreate)
  if (timeBeforeExpiry !== undefined && latest.exp !== null) {
    return latest.exp - durationMs(timeBeforeExpiry)
  }
  return undefined
}
