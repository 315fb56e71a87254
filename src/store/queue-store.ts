// Storage queues and their messages. A message is claimed by moving its `visible_at` into the
// future and giving it a new pop receipt; up to 32 are claimed in one transaction, so no two
// consumers ever hold the same message at once. Times are absolute epoch ms, so a message
// hidden for 30 s before a restart reappears 30 s after it was hidden, not after the restart.
import { sql, type Kysely } from 'kysely'
import { type BlobNameRange, nameInRange } from './blob-names.js'
import { affectedRows } from './changes.js'
import type { Database, QueueMessageRow, QueueRow } from './schema.js'
import type { StoreCapabilities } from './store.js'

/** What a claim sets on each message it takes. */
export interface MessageClaim {
  now: number
  /** Epoch ms from which the claimed messages are visible again. */
  visibleAt: number
  /** A fresh pop receipt per claimed message. */
  popReceipt: () => string
}

export interface QueueStore {
  /** Conflict when the account already has a queue of this name. */
  create(row: QueueRow): Promise<void>
  fetch(accountKey: string, name: string): Promise<QueueRow | undefined>
  /** Queues of an account in name order. */
  list(accountKey: string, range: BlobNameRange): Promise<QueueRow[]>
  updateMetadata(id: string, metadata: string): Promise<boolean>
  /** Deletes the queue with its messages (cascade). */
  delete(id: string): Promise<boolean>
  /** Messages that have not expired at `now`, visible or not (x-ms-approximate-messages-count). */
  countMessages(queueId: string, now: number): Promise<number>
  putMessage(row: QueueMessageRow): Promise<void>
  /** Up to `limit` messages visible at `now`, oldest first, without changing them. */
  peekMessages(queueId: string, now: number, limit: number): Promise<QueueMessageRow[]>
  /**
   * Claims up to `limit` visible, unexpired messages, oldest first, in one transaction: each
   * gets `visibleAt`, a new pop receipt and one more dequeue. Returns them as claimed.
   */
  claimMessages(queueId: string, limit: number, claim: MessageClaim): Promise<QueueMessageRow[]>
  /** The message, or undefined when absent or expired at `now`. */
  fetchMessage(queueId: string, id: string, now: number): Promise<QueueMessageRow | undefined>
  /**
   * Sets a message's visibility (and body) when `popReceipt` is its current one; returns the
   * updated row, or undefined when the message is gone or the receipt is not current.
   */
  updateMessage(
    queueId: string,
    id: string,
    popReceipt: string,
    changes: Pick<QueueMessageRow, 'visible_at' | 'pop_receipt'> & { body?: string },
  ): Promise<QueueMessageRow | undefined>
  /** Deletes a message when `popReceipt` is its current one. */
  deleteMessage(queueId: string, id: string, popReceipt: string): Promise<boolean>
  /** Deletes every message of the queue; returns how many. */
  clearMessages(queueId: string): Promise<number>
  /** Deletes expired messages of every queue; returns how many. */
  pruneExpired(now: number): Promise<number>
}

export function createQueueStore(
  db: Kysely<Database>,
  { hasConcurrentWriters }: StoreCapabilities,
): QueueStore {
  const messages = () => db.selectFrom('queue_messages').selectAll()
  const visible = (queueId: string, now: number) =>
    messages()
      .where('queue_id', '=', queueId)
      .where('visible_at', '<=', now)
      .where('expires_at', '>', now)
      .orderBy('visible_at')
      .orderBy('inserted_at')
      .orderBy('id')

  async function claimIn(
    tx: Kysely<Database>,
    queueId: string,
    limit: number,
    claim: MessageClaim,
  ): Promise<QueueMessageRow[]> {
    // Concurrent writers (PostgreSQL) lock the rows they pick and skip rows another claim has
    // locked, so two claims at once take different messages; SQLite's one writer already
    // serializes this transaction (begin immediate, store/sqlite.ts).
    const picked = await tx
      .selectFrom('queue_messages')
      .selectAll()
      .where('queue_id', '=', queueId)
      .where('visible_at', '<=', claim.now)
      .where('expires_at', '>', claim.now)
      .orderBy('visible_at')
      .orderBy('inserted_at')
      .orderBy('id')
      .limit(limit)
      .$if(hasConcurrentWriters, (qb) => qb.forUpdate().skipLocked())
      .execute()
    const claimed: QueueMessageRow[] = []
    for (const row of picked) {
      const next = {
        visible_at: claim.visibleAt,
        pop_receipt: claim.popReceipt(),
        dequeue_count: row.dequeue_count + 1,
      }
      await tx.updateTable('queue_messages').set(next).where('id', '=', row.id).execute()
      claimed.push({ ...row, ...next })
    }
    return claimed
  }

  return {
    async create(row) {
      await db.insertInto('queues').values(row).execute()
    },
    fetch: (accountKey, name) =>
      db
        .selectFrom('queues')
        .selectAll()
        .where('account_key', '=', accountKey)
        .where('name', '=', name)
        .executeTakeFirst(),
    list: (accountKey, range) =>
      db
        .selectFrom('queues')
        .selectAll()
        .where('account_key', '=', accountKey)
        .where((eb) => eb.and(nameInRange('name', range)))
        .orderBy('name')
        .limit(range.limit)
        .execute(),
    async updateMetadata(id, metadata) {
      const r = await db
        .updateTable('queues')
        .set({ metadata })
        .where('id', '=', id)
        .executeTakeFirst()
      return affectedRows(r.numUpdatedRows) > 0
    },
    async delete(id) {
      const r = await db.deleteFrom('queues').where('id', '=', id).executeTakeFirst()
      return affectedRows(r.numDeletedRows) > 0
    },
    async countMessages(queueId, now) {
      const row = await db
        .selectFrom('queue_messages')
        .select(sql<string | number>`count(*)`.as('n'))
        .where('queue_id', '=', queueId)
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    async putMessage(row) {
      await db.insertInto('queue_messages').values(row).execute()
    },
    peekMessages: (queueId, now, limit) => visible(queueId, now).limit(limit).execute(),
    claimMessages: (queueId, limit, claim) =>
      db.isTransaction
        ? claimIn(db, queueId, limit, claim)
        : db.transaction().execute((tx) => claimIn(tx, queueId, limit, claim)),
    fetchMessage: (queueId, id, now) =>
      messages()
        .where('queue_id', '=', queueId)
        .where('id', '=', id)
        .where('expires_at', '>', now)
        .executeTakeFirst(),
    async updateMessage(queueId, id, popReceipt, changes) {
      return db
        .updateTable('queue_messages')
        .set(changes)
        .where('queue_id', '=', queueId)
        .where('id', '=', id)
        .where('pop_receipt', '=', popReceipt)
        .returningAll()
        .executeTakeFirst()
    },
    async deleteMessage(queueId, id, popReceipt) {
      const r = await db
        .deleteFrom('queue_messages')
        .where('queue_id', '=', queueId)
        .where('id', '=', id)
        .where('pop_receipt', '=', popReceipt)
        .executeTakeFirst()
      return affectedRows(r.numDeletedRows) > 0
    },
    async clearMessages(queueId) {
      const r = await db
        .deleteFrom('queue_messages')
        .where('queue_id', '=', queueId)
        .executeTakeFirst()
      return affectedRows(r.numDeletedRows)
    },
    async pruneExpired(now) {
      const r = await db
        .deleteFrom('queue_messages')
        .where('expires_at', '<=', now)
        .executeTakeFirst()
      return affectedRows(r.numDeletedRows)
    },
  }
}
