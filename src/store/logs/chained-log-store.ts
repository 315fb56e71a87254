// One append-only, hash-chained log table (common/log-chain.ts), for either log. Appends lock
// the log's chain row (`FOR UPDATE` where writers are concurrent; SQLite's `begin immediate`
// already serializes them), take the next sequence numbers and hashes from its head, insert,
// and move the head, all in one transaction: two replicas appending at once queue on that row
// and can never both extend the same head, so the chain cannot fork.
import { CompiledQuery, type Kysely, type SelectQueryBuilder } from 'kysely'
import {
  canonicalJson,
  entryHash,
  verifyLinks,
  type BrokenEntry,
  type StoredLink,
} from '../../common/log-chain.js'
import { decodeNext, encodeNext, pageSize } from '../paging.js'
import type { ChainedColumns, Database } from '../schema.js'
import type { Page, PageRequest, StoreCapabilities } from '../store.js'

export type LogName = 'sign_ins' | 'activity_log'

export interface LogEntry<R> {
  seq: number
  createdAt: number
  record: R
  hash: string
}

export interface LogTimeRange {
  /** Entries created at or after (epoch ms). */
  since?: number
  /** Entries created at or before (epoch ms). */
  until?: number
  /** Oldest first, entries after this seq (to follow the log); newest first when absent. */
  afterSeq?: number
}

export interface ChainCheck {
  ok: boolean
  /** Entries checked (those after the anchor). */
  checked: number
  anchor: { seq: number; hash: string }
  head: { seq: number; hash: string }
  /** The first entry that does not fit the chain, with its record id when it is readable. */
  firstBroken?: BrokenEntry & { id?: string }
}

export interface ChainedLogStore<R, F> {
  /** Appends in order, in one transaction; returns the entries' sequence numbers. */
  append(entries: readonly { createdAt: number; record: R }[]): Promise<number[]>
  list(filter: F & LogTimeRange, page?: PageRequest): Promise<Page<LogEntry<R>>>
  /** Checks every entry from the anchor to the head. */
  verify(): Promise<ChainCheck>
  /**
   * Deletes the oldest entries, up to the first one created at or after `before`, and keeps the
   * last deleted entry's hash as the anchor; returns how many were deleted.
   */
  prune(before: number): Promise<number>
}

export interface LogSpec<R, F> {
  log: LogName
  /** The filter columns of a record (copies of its fields, lower-cased where compared so). */
  columnsOf(record: R): Record<string, string | null>
  /** Adds the filter's conditions. */
  where(query: SelectQueryBuilder<any, any, any>, filter: F): SelectQueryBuilder<any, any, any>
  idOf(record: R): string | undefined
}

type Row = ChainedColumns & Record<string, unknown>

const VERIFY_BATCH = 1000

export function createChainedLogStore<R, F>(
  database: Kysely<Database>,
  { hasConcurrentWriters }: StoreCapabilities,
  spec: LogSpec<R, F>,
): ChainedLogStore<R, F> {
  const db = database as unknown as Kysely<any>
  const { log } = spec
  const chainRow = (trx: Kysely<any>, lock: boolean) => {
    const q = trx.selectFrom('log_chains').selectAll().where('log', '=', log)
    return (lock && hasConcurrentWriters ? q.forUpdate() : q).executeTakeFirstOrThrow()
  }
  const reuse = reusableQueries()
  const inTransaction = <T>(fn: (trx: Kysely<any>) => Promise<T>): Promise<T> =>
    db.isTransaction ? fn(db) : db.transaction().execute(fn)

  return {
    append(entries) {
      if (entries.length === 0) return Promise.resolve([])
      return inTransaction(async (trx) => {
        const [chain] = await reuse(
          trx,
          'head',
          () => {
            const q = trx.selectFrom('log_chains').selectAll().where('log', '=', log)
            return (hasConcurrentWriters ? q.forUpdate() : q).compile()
          },
          [log],
        )
        if (!chain) throw new Error(`the chain row of ${log} is missing`)
        let seq = Number(chain.head_seq)
        let prevHash = String(chain.head_hash)
        const rows: Row[] = entries.map(({ createdAt, record }) => {
          seq += 1
          const link = { seq, createdAt, record: canonicalJson(record) }
          const hash = entryHash(prevHash, link)
          const row = {
            seq,
            created_at: createdAt,
            record: link.record,
            prev_hash: prevHash,
            hash,
            ...spec.columnsOf(record),
          }
          prevHash = hash
          return row
        })
        const columns = Object.keys(rows[0]!)
        await reuse(
          trx,
          `insert ${rows.length}`,
          () => trx.insertInto(log).values(rows).compile(),
          rows.flatMap((r) => columns.map((c) => r[c])),
        )
        await reuse(
          trx,
          'move head',
          () =>
            trx
              .updateTable('log_chains')
              .set({ head_seq: seq, head_hash: prevHash })
              .where('log', '=', log)
              .compile(),
          [seq, prevHash, log],
        )
        return rows.map((r) => r.seq)
      })
    },

    async list(filter, page = {}) {
      const limit = pageSize(page.limit)
      const ascending = filter.afterSeq !== undefined
      let q = spec.where(db.selectFrom(log).selectAll(), filter)
      if (filter.since !== undefined) q = q.where('created_at', '>=', filter.since)
      if (filter.until !== undefined) q = q.where('created_at', '<=', filter.until)
      if (ascending) q = q.where('seq', '>', filter.afterSeq!)
      if (page.after !== undefined) {
        const after = Number(decodeNext(page.after))
        q = q.where('seq', ascending ? '>' : '<', after)
      }
      const rows = (await q
        .orderBy('seq', ascending ? 'asc' : 'desc')
        .limit(limit + 1)
        .execute()) as Row[]
      const items = rows.slice(0, limit).map((r) => ({
        seq: Number(r.seq),
        createdAt: Number(r.created_at),
        record: JSON.parse(r.record) as R,
        hash: r.hash,
      }))
      const last = items[items.length - 1]
      return rows.length > limit && last ? { items, next: encodeNext(String(last.seq)) } : { items }
    },

    async verify() {
      const chain = await chainRow(db, false)
      const anchor = { seq: Number(chain.anchor_seq), hash: String(chain.anchor_hash) }
      const head = { seq: Number(chain.head_seq), hash: String(chain.head_hash) }
      let tail = anchor
      let checked = 0
      const result = (firstBroken?: ChainCheck['firstBroken']): ChainCheck => ({
        ok: firstBroken === undefined,
        checked,
        anchor,
        head,
        ...(firstBroken && { firstBroken }),
      })
      for (;;) {
        const rows = (await db
          .selectFrom(log)
          .selectAll()
          .where('seq', '>', tail.seq)
          .where('seq', '<=', head.seq)
          .orderBy('seq')
          .limit(VERIFY_BATCH)
          .execute()) as Row[]
        if (rows.length === 0) break
        const links = rows.map(toLink)
        const outcome = verifyLinks(tail, links, (_e, i) => columnsMatch(rows[i]!))
        if ('broken' in outcome) {
          const row = rows.find((r) => Number(r.seq) === outcome.broken.seq)
          return result({ ...outcome.broken, id: row && readableId(row) })
        }
        checked += rows.length
        tail = outcome.tail
      }
      // Entries missing at the end (or a head moved by hand) leave the tail short of the head.
      if (tail.seq !== head.seq || tail.hash !== head.hash) {
        return result({ seq: tail.seq + 1, reason: 'head' })
      }
      return result()
    },

    prune(before) {
      return inTransaction(async (trx) => {
        const chain = await chainRow(trx, true)
        const anchorSeq = Number(chain.anchor_seq)
        const kept = await trx
          .selectFrom(log)
          .select((eb) => eb.fn.min('seq').as('first'))
          .where('seq', '>', anchorSeq)
          .where('created_at', '>=', before)
          .executeTakeFirst()
        const cut = kept?.first == null ? Number(chain.head_seq) : Number(kept.first) - 1
        if (cut <= anchorSeq) return 0
        const last = await trx
          .selectFrom(log)
          .select('hash')
          .where('seq', '=', cut)
          .executeTakeFirstOrThrow()
        const deleted = await trx
          .deleteFrom(log)
          .where('seq', '<=', cut)
          .where('seq', '>', anchorSeq)
          .executeTakeFirst()
        await trx
          .updateTable('log_chains')
          .set({ anchor_seq: cut, anchor_hash: last.hash })
          .where('log', '=', log)
          .execute()
        return Number(deleted.numDeletedRows ?? 0n)
      })
    },
  }

  function columnsMatch(row: Row): boolean {
    let record: R
    try {
      record = JSON.parse(row.record) as R
    } catch {
      return false
    }
    return Object.entries(spec.columnsOf(record)).every(([k, v]) => (row[k] ?? null) === v)
  }

  function readableId(row: Row): string | undefined {
    try {
      return spec.idOf(JSON.parse(row.record) as R)
    } catch {
      return undefined
    }
  }
}

/**
 * Kysely builds and compiles every query from its syntax tree, which on the token path costs
 * more than SQLite running it. The append's statements have fixed shapes (the insert one per
 * row count): each is compiled once, and later runs send the same SQL with new parameters. A
 * shape is kept only when its compiled parameters are exactly the ones given, in order, so a
 * builder that orders them otherwise is compiled every time instead of run wrongly.
 */
function reusableQueries(limit = 512) {
  const texts = new Map<string, string>()
  return async (
    trx: Kysely<any>,
    key: string,
    build: () => CompiledQuery,
    parameters: unknown[],
  ): Promise<Record<string, unknown>[]> => {
    const sql = texts.get(key)
    let query: CompiledQuery
    if (sql !== undefined) query = CompiledQuery.raw(sql, parameters)
    else {
      query = build()
      const same =
        query.parameters.length === parameters.length &&
        query.parameters.every((p, i) => p === parameters[i])
      if (same && texts.size < limit) texts.set(key, query.sql)
    }
    return (await trx.executeQuery<Record<string, unknown>>(query)).rows
  }
}

function toLink(r: Row): StoredLink {
  return {
    seq: Number(r.seq),
    createdAt: Number(r.created_at),
    record: r.record,
    prevHash: r.prev_hash,
    hash: r.hash,
  }
}
