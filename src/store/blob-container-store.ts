// Blob containers of storage accounts, and the lookup of an account by its name: the Blob
// endpoint is addressed by account name (`/<account>/<container>`), while resources are keyed by
// id, so the lookup lives here beside the only code that needs it.
import type { Kysely } from 'kysely'
import { type BlobNameRange, nameInRange } from './blob-names.js'
import { affectedRows } from './changes.js'
import type { BlobContainerRow, Database } from './schema.js'
import type { StoreCapabilities } from './store.js'

const STORAGE_ACCOUNTS = 'microsoft.storage/storageaccounts'

export interface StorageAccountRef {
  key: string
  /** The account's ARM id as created. */
  id: string
  created_at: number
}

export interface BlobContainerStore {
  /** Storage accounts with this name (any casing), oldest first. */
  findAccounts(name: string): Promise<StorageAccountRef[]>
  create(row: BlobContainerRow): Promise<void>
  fetch(accountKey: string, name: string): Promise<BlobContainerRow | undefined>
  /** Containers of an account in name order. */
  list(accountKey: string, range: BlobNameRange): Promise<BlobContainerRow[]>
  update(
    id: string,
    changes: Partial<Pick<BlobContainerRow, 'metadata' | 'etag' | 'updated_at'>>,
  ): Promise<boolean>
  /**
   * Within a transaction: locks the container until the transaction ends, so that writes to
   * its blobs check their conditions and commit one at a time. False when it does not exist.
   */
  lock(id: string): Promise<boolean>
  /** Deletes the container with its blobs and staged blocks (cascade). */
  delete(id: string): Promise<boolean>
}

export function createBlobContainerStore(
  db: Kysely<Database>,
  { hasConcurrentWriters }: StoreCapabilities,
): BlobContainerStore {
  const rows = () => db.selectFrom('blob_containers').selectAll()
  // Concurrent writers need a row lock; a single writer's transactions already hold the
  // database's one write lock from their first statement (store/sqlite.ts).
  return {
    findAccounts: (name) =>
      db
        .selectFrom('resources')
        .select(['key', 'id', 'created_at'])
        .where('type_key', '=', STORAGE_ACCOUNTS)
        .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
        .orderBy('created_at')
        .orderBy('key')
        .execute(),
    async create(row) {
      await db.insertInto('blob_containers').values(row).execute()
    },
    fetch: (accountKey, name) =>
      rows().where('account_key', '=', accountKey).where('name', '=', name).executeTakeFirst(),
    list: (accountKey, range) =>
      rows()
        .where('account_key', '=', accountKey)
        .where((eb) => eb.and(nameInRange('name', range)))
        .orderBy('name')
        .limit(range.limit)
        .execute(),
    async update(id, changes) {
      const result = await db
        .updateTable('blob_containers')
        .set(changes)
        .where('id', '=', id)
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) > 0
    },
    async lock(id) {
      const row = await db
        .selectFrom('blob_containers')
        .select('id')
        .where('id', '=', id)
        .$if(hasConcurrentWriters, (qb) => qb.forUpdate())
        .executeTakeFirst()
      return row !== undefined
    },
    async delete(id) {
      const result = await db.deleteFrom('blob_containers').where('id', '=', id).executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },
  }
}
