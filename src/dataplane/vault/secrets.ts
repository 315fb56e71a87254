// The secret operations over the store. Each change is one transaction; values are sealed
// before it starts and opened only for the operations that return them (get, backup).
// Soft delete marks every version of a name; the name then answers only to the deleted-secret
// operations until it is recovered, purged, or its purge date passes.
import { randomBytes } from 'node:crypto'
import type { PurposeKey } from '../../common/key-hierarchy.js'
import type { Clock } from '../../domain/clock.js'
import type { VaultSecretRow } from '../../store/schema.js'
import type { Page, PageRequest, Repositories, Store } from '../../store/store.js'
import { deletedSecretBundle, secretBundle, secretItem, deletedSecretItem } from './bundle.js'
import { decryptValue, encryptValue } from './crypto.js'
import { VaultErrors } from './errors.js'
import type { SecretInput } from './requests.js'
import type { VaultTarget } from './vaults.js'

export interface SecretContext {
  store: Store
  /** The vault-secrets purpose key (common/key-hierarchy.ts). */
  key: PurposeKey
  clock: Clock
}

const DAY_MS = 86_400_000

/** Deleted, and not yet past its purge date (a row past it is as good as purged). */
const isDeleted = (row: VaultSecretRow) => row.deleted_at !== null
const isLive = (row: VaultSecretRow | undefined): row is VaultSecretRow =>
  row !== undefined && !isDeleted(row)
const isRecoverable = (row: VaultSecretRow | undefined, now: number): row is VaultSecretRow =>
  row !== undefined && isDeleted(row) && (row.scheduled_purge_at ?? 0) > now

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

/** Clears a name whose purge date has passed, so that it can be reused at once. */
async function latestInUse(tx: Repositories, v: VaultTarget, name: string, now: number) {
  const latest = await tx.vaultSecrets.fetchLatest(v.key, name)
  if (latest !== undefined && isDeleted(latest) && !isRecoverable(latest, now)) {
    await tx.vaultSecrets.delete(v.key, name)
    return undefined
  }
  return latest
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
    const latest = await latestInUse(tx, v, name, now)
    if (latest !== undefined && isDeleted(latest)) throw VaultErrors.deletedButRecoverable(name)
    // Versions are ordered by created_at: keep it strictly increasing within a name.
    const createdAt = Math.max(now, (latest?.created_at ?? 0) + 1)
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

async function fetchLive(c: SecretContext, v: VaultTarget, name: string, version?: string) {
  const row =
    version === undefined
      ? await c.store.vaultSecrets.fetchLatest(v.key, name)
      : await c.store.vaultSecrets.fetch(v.key, name, version)
  if (!isLive(row)) throw VaultErrors.secretNotFound(version ? `${name}/${version}` : name)
  return row
}

/** Azure returns expired and not-yet-valid secrets (the "date-time controlled operations" of
 * about-secrets); only a disabled one is refused. */
export async function getSecret(c: SecretContext, v: VaultTarget, name: string, version?: string) {
  const row = await fetchLive(c, v, name, version)
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
  const row = await c.store.transaction(async (tx) => {
    const row =
      version === undefined
        ? await tx.vaultSecrets.fetchLatest(v.key, name)
        : await tx.vaultSecrets.fetch(v.key, name, version)
    if (!isLive(row)) throw VaultErrors.secretNotFound(version ? `${name}/${version}` : name)
    const changes = { ...changesOf(input), updated_at: now }
    await tx.vaultSecrets.update(v.key, name, row.version, changes)
    return { ...row, ...changes }
  })
  return secretBundle(v, row)
}

export async function listSecrets(c: SecretContext, v: VaultTarget, page: PageRequest) {
  const p = await c.store.vaultSecrets.listLatest(v.key, { deleted: false }, page)
  return { items: p.items.map((r) => secretItem(v, r, false)), next: p.next }
}

export async function listSecretVersions(
  c: SecretContext,
  v: VaultTarget,
  name: string,
  page: PageRequest,
) {
  const latest = await c.store.vaultSecrets.fetchLatest(v.key, name)
  if (!isLive(latest)) return { items: [], next: undefined }
  const p: Page<VaultSecretRow> = await c.store.vaultSecrets.listVersions(v.key, name, page)
  return { items: p.items.map((r) => secretItem(v, r, true)), next: p.next }
}

export async function deleteSecret(c: SecretContext, v: VaultTarget, name: string) {
  const now = c.clock.now()
  const purgeAt = now + v.retentionDays * DAY_MS
  const row = await c.store.transaction(async (tx) => {
    const latest = await tx.vaultSecrets.fetchLatest(v.key, name)
    if (!isLive(latest)) throw VaultErrors.secretNotFound(name)
    await tx.vaultSecrets.setDeleted(v.key, name, now, purgeAt)
    return { ...latest, deleted_at: now, scheduled_purge_at: purgeAt }
  })
  return deletedSecretBundle(v, row)
}

export async function getDeletedSecret(c: SecretContext, v: VaultTarget, name: string) {
  const latest = await c.store.vaultSecrets.fetchLatest(v.key, name)
  if (!isRecoverable(latest, c.clock.now())) throw VaultErrors.deletedSecretNotFound(name)
  return deletedSecretBundle(v, latest)
}

export async function listDeletedSecrets(c: SecretContext, v: VaultTarget, page: PageRequest) {
  const now = c.clock.now()
  const p = await c.store.vaultSecrets.listLatest(v.key, { deleted: true }, page)
  const items = p.items.filter((r) => isRecoverable(r, now)).map((r) => deletedSecretItem(v, r))
  return { items, next: p.next }
}

export async function recoverDeletedSecret(c: SecretContext, v: VaultTarget, name: string) {
  const now = c.clock.now()
  const row = await c.store.transaction(async (tx) => {
    const latest = await tx.vaultSecrets.fetchLatest(v.key, name)
    if (!isRecoverable(latest, now)) throw VaultErrors.deletedSecretNotFound(name)
    await tx.vaultSecrets.setDeleted(v.key, name, null, null)
    return { ...latest, deleted_at: null, scheduled_purge_at: null }
  })
  return secretBundle(v, row)
}

export async function purgeDeletedSecret(c: SecretContext, v: VaultTarget, name: string) {
  const now = c.clock.now()
  await c.store.transaction(async (tx) => {
    const latest = await tx.vaultSecrets.fetchLatest(v.key, name)
    if (!isRecoverable(latest, now)) throw VaultErrors.deletedSecretNotFound(name)
    if (v.purgeProtection) throw VaultErrors.purgeProtected()
    await tx.vaultSecrets.delete(v.key, name)
  })
}

/** Every version of a live secret, values opened (for a backup blob). */
export async function readAllVersions(c: SecretContext, v: VaultTarget, name: string) {
  await fetchLive(c, v, name)
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
  const now = c.clock.now()
  const rows: VaultSecretRow[] = await Promise.all(
    versions.map(async ({ row, value }) => ({
      ...row,
      vault_key: v.key,
      value_enc: await encryptValue(value, c.key, place(v, row)),
    })),
  )
  await c.store.transaction(async (tx) => {
    const latest = await latestInUse(tx, v, name, now)
    if (latest !== undefined && isDeleted(latest)) throw VaultErrors.deletedButRecoverable(name)
    if (latest !== undefined) throw VaultErrors.alreadyExists(name)
    for (const row of rows) await tx.vaultSecrets.create(row)
  })
  const latest = rows.reduce((a, b) => (b.created_at > a.created_at ? b : a))
  return secretBundle(v, latest)
}
