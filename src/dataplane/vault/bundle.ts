// Secret rows shaped into Key Vault's JSON (reference §7), field by field so nothing the store
// keeps for itself leaks. Ids are root-based URLs (`<vaultUri>secrets/<name>/<version>`), the
// SDK derives name, version and vault from them; times are integer Unix seconds.
import type { VaultSecretRow } from '../../store/schema.js'
import { recoveryLevel, type VaultTarget } from './vaults.js'

const seconds = (ms: number) => Math.floor(ms / 1000)

export function secretId(v: VaultTarget, row: VaultSecretRow, versioned = true): string {
  return `${v.uri}secrets/${row.name}${versioned ? `/${row.version}` : ''}`
}

export function parseTags(tags: string | null): Record<string, string> | undefined {
  return tags === null ? undefined : (JSON.parse(tags) as Record<string, string>)
}

type AttributeColumns = Pick<
  VaultSecretRow,
  'enabled' | 'nbf' | 'exp' | 'created_at' | 'updated_at'
>

/** The `attributes` every object has, secrets and keys alike. */
export function attributes(v: VaultTarget, row: AttributeColumns) {
  return {
    enabled: row.enabled === 1,
    ...(row.nbf === null ? {} : { nbf: seconds(row.nbf) }),
    ...(row.exp === null ? {} : { exp: seconds(row.exp) }),
    created: seconds(row.created_at),
    updated: seconds(row.updated_at),
    recoveryLevel: recoveryLevel(v),
    recoverableDays: v.retentionDays,
  }
}

function common(v: VaultTarget, row: VaultSecretRow, versioned: boolean) {
  const tags = parseTags(row.tags)
  return {
    id: secretId(v, row, versioned),
    ...(row.content_type === null ? {} : { contentType: row.content_type }),
    ...(tags === undefined ? {} : { tags }),
    attributes: attributes(v, row),
  }
}

/** A SecretBundle; `value` only where the operation returns it (get, set). */
export function secretBundle(v: VaultTarget, row: VaultSecretRow, value?: string) {
  return { ...(value === undefined ? {} : { value }), ...common(v, row, true) }
}

/** A SecretItem of `GET /secrets` (unversioned id) or `GET /secrets/{n}/versions` (versioned). */
export function secretItem(v: VaultTarget, row: VaultSecretRow, versioned: boolean) {
  return common(v, row, versioned)
}

/** What a deleted object adds: where to recover it, and when it was deleted and goes for good. */
export function deletedFields(
  v: VaultTarget,
  row: Pick<VaultSecretRow, 'name' | 'deleted_at' | 'scheduled_purge_at'>,
  collection: 'deletedsecrets' | 'deletedkeys' = 'deletedsecrets',
) {
  return {
    recoveryId: `${v.uri}${collection}/${row.name}`,
    deletedDate: seconds(row.deleted_at ?? 0),
    scheduledPurgeDate: seconds(row.scheduled_purge_at ?? 0),
  }
}

/** A DeletedSecretBundle: the latest version's properties, never its value. */
export function deletedSecretBundle(v: VaultTarget, row: VaultSecretRow) {
  return { ...deletedFields(v, row), ...common(v, row, true) }
}

export function deletedSecretItem(v: VaultTarget, row: VaultSecretRow) {
  return { ...deletedFields(v, row), ...common(v, row, false) }
}
