// Secret values at rest, and backup blobs, as compact JWEs (`dir` + A256GCM) under the data
// directory's master key, as the token service keeps its signing keys (sts/key-material.ts).
// Neither a value nor the master key enters the database in the clear. The vault's key goes
// into the authenticated header, so a value copied to another row does not decrypt there.
import type { JsonWebKey } from 'node:crypto'
import { CompactEncrypt, compactDecrypt } from 'jose'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const ALGORITHMS = {
  keyManagementAlgorithms: ['dir'],
  contentEncryptionAlgorithms: ['A256GCM'],
}

async function seal(plaintext: string, masterKey: Uint8Array, kind: string, bind: string) {
  return new CompactEncrypt(encoder.encode(plaintext))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: kind, kl: bind })
    .encrypt(masterKey)
}

async function open(jwe: string, masterKey: Uint8Array, kind: string, bind?: string) {
  const { plaintext, protectedHeader } = await compactDecrypt(jwe, masterKey, ALGORITHMS)
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

/** What a backup blob holds: one secret or one key. */
export type BackupKind = 'kv-secret-backup' | 'kv-key-backup'

/** A backup blob: the sealed JSON, as the bytes the client base64url-encodes. */
export function sealBackup(
  json: string,
  masterKey: Uint8Array,
  kind: BackupKind = 'kv-secret-backup',
): Promise<string> {
  return seal(
    json,
    kind === 'kv-key-backup' ? keyMaterialKey(masterKey) : masterKey,
    kind,
    'keyless',
  )
}

export function openBackup(
  jwe: string,
  masterKey: Uint8Array,
  kind: BackupKind = 'kv-secret-backup',
): Promise<string> {
  return open(jwe, kind === 'kv-key-backup' ? keyMaterialKey(masterKey) : masterKey, kind)
}

/**
 * THE SEAM for the key hierarchy of vault keys: the one function that says which key seals a
 * key's private material (at rest and in backups). Today it is the master key, as for secrets;
 * per-purpose HKDF derivation (purpose "key-vault-keys") replaces this body, and nothing else.
 */
export function keyMaterialKey(masterKey: Uint8Array): Uint8Array {
  return masterKey
}

/** A key version's private JWK, sealed to its place (vault, name, version). */
export function sealPrivateKey(
  privateJwk: object,
  masterKey: Uint8Array,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<string> {
  const key = keyMaterialKey(masterKey)
  return seal(
    JSON.stringify(privateJwk),
    key,
    'kv-key',
    placeOf(at.vaultKey, at.nameKey, at.version),
  )
}

export async function openPrivateKey(
  jwe: string,
  masterKey: Uint8Array,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<JsonWebKey> {
  const key = keyMaterialKey(masterKey)
  const json = await open(jwe, key, 'kv-key', placeOf(at.vaultKey, at.nameKey, at.version))
  return JSON.parse(json) as JsonWebKey
}
