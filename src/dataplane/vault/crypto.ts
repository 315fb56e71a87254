// Secret values at rest, and backup blobs, as compact JWEs under the vault's purpose key (one
// key derived from the master key, common/key-hierarchy.ts), as the token service keeps its
// signing keys. Neither a value nor a key enters the database in the clear. The vault's key goes
// into the authenticated header, so a value copied to another row does not decrypt there.
import type { JsonWebKey } from 'node:crypto'
import type { PurposeKey } from '../../common/key-hierarchy.js'
import { openJwe, sealJwe } from '../../common/sealed-jwe.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function seal(plaintext: string, key: PurposeKey, kind: string, bind: string) {
  return sealJwe(encoder.encode(plaintext), key, { cty: kind, kl: bind })
}

async function open(jwe: string, key: PurposeKey, kind: string, bind?: string) {
  const { plaintext, protectedHeader } = await openJwe(jwe, key)
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
  key: PurposeKey,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<string> {
  return seal(value, key, 'kv-secret', placeOf(at.vaultKey, at.nameKey, at.version))
}

export function decryptValue(
  jwe: string,
  key: PurposeKey,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<string> {
  return open(jwe, key, 'kv-secret', placeOf(at.vaultKey, at.nameKey, at.version))
}

/** What a backup blob holds: one secret or one key. */
export type BackupKind = 'kv-secret-backup' | 'kv-key-backup'

/**
 * A backup blob: the sealed JSON, as the bytes the client base64url-encodes. A secret's backup
 * is sealed under the secrets' key, a key's backup under the key material's key.
 */
export function sealBackup(
  json: string,
  key: PurposeKey,
  kind: BackupKind = 'kv-secret-backup',
): Promise<string> {
  return seal(json, key, kind, 'keyless')
}

export function openBackup(
  jwe: string,
  key: PurposeKey,
  kind: BackupKind = 'kv-secret-backup',
): Promise<string> {
  return open(jwe, key, kind)
}

/** A key version's private JWK, sealed to its place (vault, name, version). */
export function sealPrivateKey(
  privateJwk: object,
  key: PurposeKey,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<string> {
  return seal(
    JSON.stringify(privateJwk),
    key,
    'kv-key',
    placeOf(at.vaultKey, at.nameKey, at.version),
  )
}

export async function openPrivateKey(
  jwe: string,
  key: PurposeKey,
  at: { vaultKey: string; nameKey: string; version: string },
): Promise<JsonWebKey> {
  const json = await open(jwe, key, 'kv-key', placeOf(at.vaultKey, at.nameKey, at.version))
  return JSON.parse(json) as JsonWebKey
}
