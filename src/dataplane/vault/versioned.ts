// The life of a versioned vault object, shared by secrets and keys: versions ordered by
// creation, soft delete of every version of a name, recovery, purge, and restore into a free
// name. Each change is one transaction; what differs per object kind is its store, its errors,
// and what else goes with a name when it is purged (a key's rotation policy).
import type { KeylessError } from '../../domain/errors.js'
import type {
  PageRequest,
  Repositories,
  Store,
  VersionedObjectRow,
  VersionedObjectStore,
} from '../../store/store.js'
import type { VaultTarget } from './vaults.js'

export interface ObjectKind<Row extends VersionedObjectRow, Changes> {
  repo: (r: Repositories) => VersionedObjectStore<Row, Changes>
  notFound: (nameOrId: string) => KeylessError
  deletedNotFound: (name: string) => KeylessError
  deletedButRecoverable: (name: string) => KeylessError
  alreadyExists: (name: string) => KeylessError
  /** Removes what else belongs to a name once it has no versions left. */
  clear?: (tx: Repositories, v: VaultTarget, name: string) => Promise<void>
}

export interface LifecycleContext {
  store: Store
  clock: { now(): number }
}

const DAY_MS = 86_400_000

export const isDeleted = (row: VersionedObjectRow) => row.deleted_at !== null
export const isLive = <R extends VersionedObjectRow>(row: R | undefined): row is R =>
  row !== undefined && !isDeleted(row)
/** Deleted, and not yet past its purge date (a row past it is as good as purged). */
export const isRecoverable = <R extends VersionedObjectRow>(
  row: R | undefined,
  now: number,
): row is R => row !== undefined && isDeleted(row) && (row.scheduled_purge_at ?? 0) > now

/** The newest version of a name; a name whose purge date has passed is cleared so it can be
 * reused at once. */
export async function latestInUse<R extends VersionedObjectRow, C>(
  tx: Repositories,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
  now: number,
): Promise<R | undefined> {
  const latest = await kind.repo(tx).fetchLatest(v.key, name)
  if (latest !== undefined && isDeleted(latest) && !isRecoverable(latest, now)) {
    await kind.repo(tx).delete(v.key, name)
    await kind.clear?.(tx, v, name)
    return undefined
  }
  if (latest === undefined) await kind.clear?.(tx, v, name)
  return latest
}

/** The creation time of a new version: after `now`, and strictly after the latest version's,
 * since versions are ordered by created_at. Refuses a name that is deleted but recoverable. */
export async function nextVersionTime<R extends VersionedObjectRow, C>(
  tx: Repositories,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
  now: number,
): Promise<{ latest: R | undefined; createdAt: number }> {
  const latest = await latestInUse(tx, kind, v, name, now)
  if (latest !== undefined && isDeleted(latest)) throw kind.deletedButRecoverable(name)
  return { latest, createdAt: Math.max(now, (latest?.created_at ?? 0) + 1) }
}

export async function fetchLive<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
  version?: string,
): Promise<R> {
  const repo = kind.repo(c.store)
  const row =
    version === undefined
      ? await repo.fetchLatest(v.key, name)
      : await repo.fetch(v.key, name, version)
  if (!isLive(row)) throw kind.notFound(version ? `${name}/${version}` : name)
  return row
}

/** Applies `changes` to one live version (the latest when none is named). */
export async function updateVersion<R extends VersionedObjectRow, C extends object>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  changes: (row: R) => C,
): Promise<R> {
  return c.store.transaction(async (tx) => {
    const repo = kind.repo(tx)
    const row =
      version === undefined
        ? await repo.fetchLatest(v.key, name)
        : await repo.fetch(v.key, name, version)
    if (!isLive(row)) throw kind.notFound(version ? `${name}/${version}` : name)
    const set = changes(row)
    await repo.update(v.key, name, row.version, set)
    return { ...row, ...set }
  })
}

export async function listLive<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  page: PageRequest,
) {
  return kind.repo(c.store).listLatest(v.key, { deleted: false }, page)
}

export async function listVersionsOf<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
  page: PageRequest,
): Promise<{ items: R[]; next?: string | undefined }> {
  const repo = kind.repo(c.store)
  if (!isLive(await repo.fetchLatest(v.key, name))) return { items: [], next: undefined }
  return repo.listVersions(v.key, name, page)
}

export async function softDelete<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
): Promise<R> {
  const now = c.clock.now()
  const purgeAt = now + v.retentionDays * DAY_MS
  return c.store.transaction(async (tx) => {
    const latest = await kind.repo(tx).fetchLatest(v.key, name)
    if (!isLive(latest)) throw kind.notFound(name)
    await kind.repo(tx).setDeleted(v.key, name, now, purgeAt)
    return { ...latest, deleted_at: now, scheduled_purge_at: purgeAt }
  })
}

export async function fetchDeleted<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
): Promise<R> {
  const latest = await kind.repo(c.store).fetchLatest(v.key, name)
  if (!isRecoverable(latest, c.clock.now())) throw kind.deletedNotFound(name)
  return latest
}

export async function listDeleted<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  page: PageRequest,
) {
  const now = c.clock.now()
  const p = await kind.repo(c.store).listLatest(v.key, { deleted: true }, page)
  return { items: p.items.filter((r) => isRecoverable(r, now)), next: p.next }
}

export async function recover<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
): Promise<R> {
  const now = c.clock.now()
  return c.store.transaction(async (tx) => {
    const latest = await kind.repo(tx).fetchLatest(v.key, name)
    if (!isRecoverable(latest, now)) throw kind.deletedNotFound(name)
    await kind.repo(tx).setDeleted(v.key, name, null, null)
    return { ...latest, deleted_at: null, scheduled_purge_at: null }
  })
}

export async function purge<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
  purgeProtected: () => KeylessError,
): Promise<void> {
  const now = c.clock.now()
  await c.store.transaction(async (tx) => {
    const latest = await kind.repo(tx).fetchLatest(v.key, name)
    if (!isRecoverable(latest, now)) throw kind.deletedNotFound(name)
    if (v.purgeProtection) throw purgeProtected()
    await kind.repo(tx).delete(v.key, name)
    await kind.clear?.(tx, v, name)
  })
}

/** Writes restored versions under a name that must be free in this vault; `after` runs in the
 * same transaction (a key's policy). Returns the newest row. */
export async function writeRestored<R extends VersionedObjectRow, C>(
  c: LifecycleContext,
  kind: ObjectKind<R, C>,
  v: VaultTarget,
  name: string,
  rows: R[],
  after?: (tx: Repositories) => Promise<void>,
): Promise<R> {
  const now = c.clock.now()
  await c.store.transaction(async (tx) => {
    const latest = await latestInUse(tx, kind, v, name, now)
    if (latest !== undefined && isDeleted(latest)) throw kind.deletedButRecoverable(name)
    if (latest !== undefined) throw kind.alreadyExists(name)
    for (const row of rows) await kind.repo(tx).create(row)
    await after?.(tx)
  })
  return rows.reduce((a, b) => (b.created_at > a.created_at ? b : a))
}
