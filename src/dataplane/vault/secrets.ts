// The secret operations over the store. Each change is one transaction; values are sealed
// before it starts and opened only for the operations that return them (get, backup).
// Soft delete marks every version of a name; the name then answers only to the deleted-secret
// operations until it is recovered, purged, or its purge date passes.
import { randomBytes } from 'node:crypto'
import type { PurposeKey } from '../../common/key-hierarchy.js'
import type { Clock } from '../../domain/clock.js'
import type { VaultSecretRow } from '../../store/schema.js'
import type { PageRequest, Store, VaultSecretChanges } from '../../store/store.js'
import { deletedSecretBundle, secretBundle, secretItem, deletedSecretItem } from './bundle.js'
import { decryptValue, encryptValue } from './crypto.js'
import { VaultErrors } from './errors.js'
import type { SecretInput } from './requests.js'
import * as life from './versioned.js'
import type { VaultTarget } from './vaults.js'

export interface SecretContext {
  store: Store
  /** The vault-secrets purpose key (common/key-hierarchy.ts). */
  key: PurposeKey
  /** The vault-keys purpose key: seals keys' private material and key backups. */
  materialKey: PurposeKey
  clock: Clock
}

const SECRETS: life.ObjectKind<VaultSecretRow, VaultSecretChanges> = {
  repo: (r) => r.vaultSecrets,
  notFound: VaultErrors.secretNotFound,
  deletedNotFound: VaultErrors.deletedSecretNotFound,
  deletedButRecoverable: VaultErrors.deletedButRecoverable,
  alreadyExists: VaultErrors.alreadyExists,
}

const place = (v: VaultTarget, row: Pick<VaultSecretRow, 'name_key' | 'version'>) => ({
  vaultKey: v.key,
  nameKey: row.name_key,
  version: row.version,
})

function changesOf(input: SecretInput) {
  return {
    ...(input.contentType === undefined ? {} : { content_type: input.contentType }),
    ...(input.tags === undefined
      ? {}
      : { tags: input.tags === null ? null : JSON.stringify(input.tags) }),
    ...(input.enabled === undefined ? {} : { enabled: input.enabled ? 1 : 0 }),
    ...(input.nbf === undefined ? {} : { nbf: input.nbf }),
    ...(input.exp === undefined ? {} : { exp: input.exp }),
  }
}

export async function setSecret(
  c: SecretContext,
  v: VaultTarget,
  name: string,
  input: SecretInput & { value: string },
) {
  const now = c.clock.now()
  const version = randomBytes(16).toString('hex')
  const nameKey = name.toLowerCase()
  const value_enc = await encryptValue(input.value, c.key, place(v, { name_key: nameKey, version }))
  const row = await c.store.transaction(async (tx) => {
    const { latest, createdAt } = await life.nextVersionTime(tx, SECRETS, v, name, now)
    const row: VaultSecretRow = {
      vault_key: v.key,
      name_key: nameKey,
      name: latest?.name ?? name,
      version,
      value_enc,
      content_type: null,
      tags: null,
      enabled: 1,
      nbf: null,
      exp: null,
      ...changesOf(input),
      created_at: createdAt,
      updated_at: createdAt,
      deleted_at: null,
      scheduled_purge_at: null,
    }
    await tx.vaultSecrets.create(row)
    return row
  })
  return secretBundle(v, row, input.value)
}

/** Azure returns expired and not-yet-valid secrets (the "date-time controlled operations" of
 * about-secrets); only a disabled one is refused. */
export async function getSecret(c: SecretContext, v: VaultTarget, name: string, version?: string) {
  const row = await life.fetchLive(c, SECRETS, v, name, version)
  if (row.enabled !== 1) throw VaultErrors.secretDisabled()
  return secretBundle(v, row, await decryptValue(row.value_enc, c.key, place(v, row)))
}

export async function updateSecret(
  c: SecretContext,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  input: SecretInput,
) {
  const now = c.clock.now()
  const row = await life.updateVersion(c, SECRETS, v, name, version, () => ({
    ...changesOf(input),
    updated_at: now,
  }))
  return secretBundle(v, row)
}

export async function listSecrets(c: SecretContext, v: VaultTarget, page: PageRequest) {
  const p = await life.listLive(c, SECRETS, v, page)
  return { items: p.items.map((r) => secretItem(v, r, false)), next: p.next }
}

export async function listSecretVersions(
  c: SecretContext,
  v: VaultTarget,
  name: string,
  page: PageRequest,
) {
  const p = await life.listVersionsOf(c, SECRETS, v, name, page)
  return { items: p.items.map((r) => secretItem(v, r, true)), next: p.next }
}

export async function deleteSecret(c: SecretContext, v: VaultTarget, name: string) {
  return deletedSecretBundle(v, await life.softDelete(c, SECRETS, v, name))
}

export async function getDeletedSecret(c: SecretContext, v: VaultTarget, name: string) {
  return deletedSecretBundle(v, await life.fetchDeleted(c, SECRETS, v, name))
}

export async function listDeletedSecrets(c: SecretContext, v: VaultTarget, page: PageRequest) {
  const p = await life.listDeleted(c, SECRETS, v, page)
  return { items: p.items.map((r) => deletedSecretItem(v, r)), next: p.next }
}

export async function recoverDeletedSecret(c: SecretContext, v: VaultTarget, name: string) {
  return secretBundle(v, await life.recover(c, SECRETS, v, name))
}

export async function purgeDeletedSecret(c: SecretContext, v: VaultTarget, name: string) {
  await life.purge(c, SECRETS, v, name, VaultErrors.purgeProtected)
}

/** Every version of a live secret, values opened (for a backup blob). */
export async function readAllVersions(c: SecretContext, v: VaultTarget, name: string) {
  await life.fetchLive(c, SECRETS, v, name)
  const rows = await c.store.vaultSecrets.listAllVersions(v.key, name)
  return Promise.all(
    rows.map(async (row) => ({
      row,
      value: await decryptValue(row.value_enc, c.key, place(v, row)),
    })),
  )
}

/** Writes restored versions under a name that must be free in this vault. */
export async function writeRestoredVersions(
  c: SecretContext,
  v: VaultTarget,
  name: string,
  versions: { row: Omit<VaultSecretRow, 'vault_key' | 'value_enc'>; value: string }[],
) {
  const rows: VaultSecretRow[] = await Promise.all(
    versions.map(async ({ row, value }) => ({
      ...row,
      vault_key: v.key,
      value_enc: await encryptValue(value, c.key, place(v, row)),
    })),
  )
  return secretBundle(v, await life.writeRestored(c, SECRETS, v, name, rows))
}
