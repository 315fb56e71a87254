// Backup blobs: every version of one secret, sealed under the master key, so a blob restores
// into any vault of the same installation (Azure: the same subscription and geography) and is
// opaque everywhere else. The client sees base64url bytes, as Key Vault's backup `value`.
import type { PurposeKey } from '../../common/key-hierarchy.js'
import type { VaultSecretRow } from '../../store/schema.js'
import { openBackup, sealBackup } from './crypto.js'
import { VaultErrors } from './errors.js'
import { checkName } from './requests.js'

interface BackupVersion {
  version: string
  value: string
  contentType: string | null
  tags: string | null
  enabled: number
  nbf: number | null
  exp: number | null
  created: number
  updated: number
}

interface BackupDocument {
  format: 'keyless-kv-secret-backup-1'
  name: string
  versions: BackupVersion[]
}

export type RestoredVersion = {
  row: Omit<VaultSecretRow, 'vault_key' | 'value_enc'>
  value: string
}

export async function encodeBackup(
  name: string,
  versions: { row: VaultSecretRow; value: string }[],
  key: PurposeKey,
): Promise<string> {
  const doc: BackupDocument = {
    format: 'keyless-kv-secret-backup-1',
    name,
    versions: versions.map(({ row, value }) => ({
      version: row.version,
      value,
      contentType: row.content_type,
      tags: row.tags,
      enabled: row.enabled,
      nbf: row.nbf,
      exp: row.exp,
      created: row.created_at,
      updated: row.updated_at,
    })),
  }
  return Buffer.from(await sealBackup(JSON.stringify(doc), key)).toString('base64url')
}

const corrupt = () => VaultErrors.badParameter('Backup blob contains invalid or corrupt version.')

export async function decodeBackup(
  blob: string,
  key: PurposeKey,
): Promise<{ name: string; versions: RestoredVersion[] }> {
  let doc: BackupDocument
  try {
    const jwe = Buffer.from(blob, 'base64url').toString('utf8')
    doc = JSON.parse(await openBackup(jwe, key)) as BackupDocument
  } catch {
    throw corrupt()
  }
  if (doc.format !== 'keyless-kv-secret-backup-1' || !Array.isArray(doc.versions)) throw corrupt()
  if (doc.versions.length === 0) throw corrupt()
  const name = checkName(String(doc.name))
  return {
    name,
    versions: doc.versions.map((b) => ({
      value: b.value,
      row: {
        name_key: name.toLowerCase(),
        name,
        version: b.version,
        content_type: b.contentType,
        tags: b.tags,
        enabled: b.enabled,
        nbf: b.nbf,
        exp: b.exp,
        created_at: b.created,
        updated_at: b.updated,
        deleted_at: null,
        scheduled_purge_at: null,
      },
    })),
  }
}
