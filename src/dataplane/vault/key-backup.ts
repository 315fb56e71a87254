// Key backup blobs: every version of one key with its private JWK, and its rotation policy,
// sealed under the installation's key hierarchy (`keyMaterialKey`), so a blob restores into any
// vault of the same Keyless installation and is opaque everywhere else. On restore each
// version's private JWK is sealed again to its new place.
import type { JsonWebKey } from 'node:crypto'
import type { KeyRotationPolicy } from '../../domain/vault-keys.js'
import type { VaultKeyRow } from '../../store/schema.js'
import { openBackup, sealBackup, sealPrivateKey } from './crypto.js'
import { VaultErrors } from './errors.js'
import { fetchPolicy, KEYS, openKey, placeOf, type KeyContext } from './keys.js'
import { checkName } from './requests.js'
import * as life from './versioned.js'
import type { VaultTarget } from './vaults.js'
import { keyBundle } from './key-bundle.js'

type StoredColumns = Omit<
  VaultKeyRow,
  'vault_key' | 'private_enc' | 'deleted_at' | 'scheduled_purge_at'
>

interface KeyBackupDocument {
  format: 'keyless-kv-key-backup-1'
  name: string
  policy: KeyRotationPolicy | null
  versions: (StoredColumns & { private_jwk: JsonWebKey })[]
}

export async function backupKey(c: KeyContext, v: VaultTarget, name: string): Promise<string> {
  await life.fetchLive(c, KEYS, v, name)
  const rows = await c.store.vaultKeys.listAllVersions(v.key, name)
  const doc: KeyBackupDocument = {
    format: 'keyless-kv-key-backup-1',
    name: rows[0]!.name,
    policy: (await fetchPolicy(c, v, name))?.policy ?? null,
    versions: await Promise.all(
      rows.map(async (row) => {
        const kept: StoredColumns = {
          name_key: row.name_key,
          name: row.name,
          version: row.version,
          kty: row.kty,
          key_ops: row.key_ops,
          public_jwk: row.public_jwk,
          tags: row.tags,
          enabled: row.enabled,
          nbf: row.nbf,
          exp: row.exp,
          created_at: row.created_at,
          updated_at: row.updated_at,
        }
        return { ...kept, private_jwk: await openKey(c, v, row) }
      }),
    ),
  }
  const jwe = await sealBackup(JSON.stringify(doc), c.materialKey, 'kv-key-backup')
  return Buffer.from(jwe).toString('base64url')
}

const corrupt = () => VaultErrors.badParameter('Backup blob contains invalid or corrupt version.')

export async function openKeyBackup(blob: string, c: KeyContext): Promise<KeyBackupDocument> {
  let doc: KeyBackupDocument
  try {
    const jwe = Buffer.from(blob, 'base64url').toString('utf8')
    doc = JSON.parse(await openBackup(jwe, c.materialKey, 'kv-key-backup')) as KeyBackupDocument
  } catch {
    throw corrupt()
  }
  if (doc.format !== 'keyless-kv-key-backup-1' || !Array.isArray(doc.versions)) throw corrupt()
  if (doc.versions.length === 0) throw corrupt()
  checkName(String(doc.name))
  return doc
}

export async function restoreKey(c: KeyContext, v: VaultTarget, doc: KeyBackupDocument) {
  const rows: VaultKeyRow[] = await Promise.all(
    doc.versions.map(async ({ private_jwk, ...kept }) => ({
      ...kept,
      vault_key: v.key,
      private_enc: await sealPrivateKey(private_jwk, c.materialKey, placeOf(v, kept)),
      deleted_at: null,
      scheduled_purge_at: null,
    })),
  )
  const now = c.clock.now()
  const latest = await life.writeRestored(c, KEYS, v, doc.name, rows, async (tx) => {
    if (doc.policy === null) return
    await tx.vaultKeyPolicies.save({
      vault_key: v.key,
      name_key: doc.name.toLowerCase(),
      policy: JSON.stringify(doc.policy),
      created_at: now,
      updated_at: now,
    })
  })
  return keyBundle(v, latest)
}
