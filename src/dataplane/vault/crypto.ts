// Secret values at rest, and backup blobs, as compact JWEs (`dir` + A256GCM) under the data
// directory's master key, as the token service keeps its signing keys (sts/key-material.ts).
// Neither a value nor the master key enters the database in the clear. The vault's key goes
// into the authenticated header, so a value copied to another row does not decrypt there.
import { webcrypto } from 'node:crypto'
import { CompactEncrypt, compactDecrypt } from 'jose'

// The master key as a WebCrypto key, imported once per key: given raw bytes, jose imports them
// again on every value read and written.
const cryptoKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>()

function aesKey(masterKey: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = cryptoKeys.get(masterKey)
  if (key === undefined) {
    key = webcrypto.subtle.importKey('raw', masterKey, 'AES-GCM', false, ['encrypt', 'decrypt'])
    cryptoKeys.set(masterKey, key)
  }
  return key
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const ALGORITHMS = {
  keyManagementAlgorithms: ['dir'],
  contentEncryptionAlgorithms: ['A256GCM'],
}

async function seal(plaintext: string, masterKey: Uint8Array, kind: string, bind: string) {
  return new CompactEncrypt(encoder.encode(plaintext))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: kind, kl: bind })
    .encrypt(await aesKey(masterKey))
}

async function open(jwe: string, masterKey: Uint8Array, kind: string, bind?: string) {
  const { plaintext, protectedHeader } = await compactDecrypt(
    jwe,
    await aesKey(masterKey),
    ALGORITHMS,
  )
  if (protectedHeader.cty !== kind || (bind !== undefined && protectedHeader.kl !== bind)) {
    throw new Error('sealed value of another kind or place')
  }
  return decoder.decode(plaintext)
}

/** Where a value belongs: one version of one secret of one vault. */
const placeOf = (vaultKey: string, nameKey: string, version: string) =>
  `${vaultKey}|${nameKey}|${version}`

export function encryptValue(
  value: string,
  masterKey: Uint8Array,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<string> {
  return seal(value, masterKey, 'kv-secret', placeOf(at.vaultKey, at.nameKey, at.version))
}

export function decryptValue(
  jwe: string,
  masterKey: Uint8Array,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<string> {
  return open(jwe, masterKey, 'kv-secret', placeOf(at.vaultKey, at.nameKey, at.version))
}

/** A backup blob: the sealed JSON, as the bytes the client base64url-encodes. */
export function sealBackup(json: string, masterKey: Uint8Array): Promise<string> {
  return seal(json, masterKey, 'kv-secret-backup', 'keyless')
}

export function openBackup(jwe: string, masterKey: Uint8Array): Promise<string> {
  return open(jwe, masterKey, 'kv-secret-backup')
}
