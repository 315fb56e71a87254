// The cryptographic operations of a key version: sign, verify, encrypt, decrypt, wrapKey and
// unwrapKey. Each checks, in order: the version is live and enabled, the operation is in its
// `key_ops`, its dates allow it, the algorithm fits the key, the input fits the algorithm.
// Only then is the private JWK opened, for the operations that need it.
import type { JsonWebKey } from 'node:crypto'
import { maxPlaintextBytes, type KeyOperation } from '../../domain/vault-keys.js'
import type { VaultKeyRow } from '../../store/schema.js'
import { decrypt, encrypt, sign, verify } from './key-crypto.js'
import { keyId } from './key-bundle.js'
import { parseCipherBody, parseSignBody, parseVerifyBody } from './key-requests.js'
import { VaultErrors } from './errors.js'
import { KEYS, openKey, type KeyContext } from './keys.js'
import * as life from './versioned.js'
import type { VaultTarget } from './vaults.js'

/** Key Vault lets expired and not-yet-valid keys still decrypt, unwrap and verify (so data
 * protected before stays readable) and refuses only new signatures and new ciphertexts. */
const DATE_CONTROLLED: ReadonlySet<KeyOperation> = new Set(['sign', 'encrypt', 'wrapKey'])

async function usableVersion(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  operation: KeyOperation,
): Promise<{ row: VaultKeyRow; publicJwk: JsonWebKey }> {
  const row = await life.fetchLive(c, KEYS, v, name, version)
  if (row.enabled !== 1) throw VaultErrors.keyDisabled(operation)
  if (!(JSON.parse(row.key_ops) as string[]).includes(operation)) {
    throw VaultErrors.keyOperationNotPermitted(operation)
  }
  const now = c.clock.now()
  if (DATE_CONTROLLED.has(operation)) {
    if (row.exp !== null && now >= row.exp) throw VaultErrors.keyNotValidNow(operation, 'expired')
    if (row.nbf !== null && now < row.nbf) {
      throw VaultErrors.keyNotValidNow(operation, 'not yet valid')
    }
  }
  return { row, publicJwk: JSON.parse(row.public_jwk) as JsonWebKey }
}

function checkSignatureFits(
  row: VaultKeyRow,
  publicJwk: JsonWebKey,
  p: ReturnType<typeof parseSignBody>,
) {
  if (p.alg.kty !== row.kty || (p.alg.curve !== undefined && p.alg.curve !== publicJwk.crv)) {
    throw VaultErrors.badParameter(`Key and signing algorithm are incompatible: ${p.name}.`)
  }
  if (p.digest.length !== p.alg.digestBytes) {
    throw VaultErrors.badParameter(
      `Invalid length of digest: ${p.name} takes a ${p.alg.digestBytes}-byte digest.`,
    )
  }
}

const b64 = (b: Buffer) => b.toString('base64url')

export async function signDigest(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  body: unknown,
) {
  const p = parseSignBody(body)
  const { row, publicJwk } = await usableVersion(c, v, name, version, 'sign')
  checkSignatureFits(row, publicJwk, p)
  const signature = sign(await openKey(c, v, row), p.alg, p.digest)
  return { kid: keyId(v, row), value: b64(signature) }
}

export async function verifyDigest(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  body: unknown,
) {
  const p = parseVerifyBody(body)
  const { row, publicJwk } = await usableVersion(c, v, name, version, 'verify')
  checkSignatureFits(row, publicJwk, p)
  return { value: verify(publicJwk, p.alg, p.digest, p.signature) }
}

function checkRsa(row: VaultKeyRow, name: string) {
  if (row.kty !== 'RSA') {
    throw VaultErrors.badParameter(`Key and encryption algorithm are incompatible: ${name}.`)
  }
}

/** encrypt and wrapKey: the same RSA-OAEP operation under two data actions. */
export async function encryptWith(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  body: unknown,
  operation: 'encrypt' | 'wrapKey',
) {
  const p = parseCipherBody(body)
  const { row, publicJwk } = await usableVersion(c, v, name, version, operation)
  checkRsa(row, p.name)
  const modulusBytes = Buffer.from(publicJwk.n ?? '', 'base64url').length
  if (p.value.length > maxPlaintextBytes(p.alg, modulusBytes)) {
    throw VaultErrors.badParameter(
      `The plaintext is too long for ${p.name} with this key: at most ${maxPlaintextBytes(p.alg, modulusBytes)} bytes.`,
    )
  }
  return { kid: keyId(v, row), value: b64(encrypt(publicJwk, p.alg, p.value)) }
}

/** decrypt and unwrapKey. Every failure to open answers the same message. */
export async function decryptWith(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  body: unknown,
  operation: 'decrypt' | 'unwrapKey',
) {
  const p = parseCipherBody(body)
  const { row } = await usableVersion(c, v, name, version, operation)
  checkRsa(row, p.name)
  const privateJwk = await openKey(c, v, row)
  try {
    return { kid: keyId(v, row), value: b64(decrypt(privateJwk, p.alg, p.value)) }
  } catch {
    throw VaultErrors.badParameter('The ciphertext could not be decrypted with this key.')
  }
}
