import pg from 'pg'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { createStore } from './create-store.js'
import { commitWatch } from './postgres-commit-watch.js'
import { migrateToLatest } from './migrate.js'
import type { Database } from './schema.js'
import type { Store, StoreCapabilities } from './store.js'

export interface PostgresStoreOptions {
  /** Schema for every table, created if missing; tests use one per run to isolate themselves. */
  schema?: string
  /** Pool size. */
  maxConnections?: number
  /** How the pool's connections name themselves in pg_stat_activity. */
  applicationName?: string
}

/** The pool's connections' name in pg_stat_activity, for operators (the watch has its own). */
export const STORE_APPLICATION = 'keyless'

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/

// Times and event sequence numbers are int8, which pg returns as strings to be safe past 2^53.
// Epoch milliseconds and sequences stay far below that, and the repositories promise numbers.
// Set on this pool only: a global pg.types change would alter every other pg user in-process.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

export const POSTGRES_CAPABILITIES: StoreCapabilities = Object.freeze({
  // A pool of connections, each its own transaction: writers run side by side, and identity
  // values are handed out at insert time, not at commit.
  hasConcurrentWriters: true,
  // Replicas of the server may share one database (issue 19 §10: the replay guard).
  isSharedByReplicas: true,
})

export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const { schema, maxConnections = 10, applicationName = STORE_APPLICATION } = options
  if (schema !== undefined && !schemaName.test(schema)) {
    throw new TypeError('schema must be a lower-case PostgreSQL identifier')
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    types,
    // While the database restarts a new connection is refused at once; one that cannot be
    // made within this time fails the request (503) instead of holding it.
    connectionTimeoutMillis: 3000,
    application_name: applicationName,
    // A startup parameter applies to every connection the pool opens, before its first query.
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  })
  // An idle connection dropped by the server (a restart, an administrator) is reported here;
  // without a listener the pool's 'error' event would end the process. The pool discards the
  // connection and opens a new one when next needed.
  pool.on('error', () => undefined)
  // A connection that is checked out (inside a transaction, between two of its queries) has no
  // pool listener; a restart or an administrator ending it then emitted an unhandled 'error'
  // and ended the process (seen in the PostgreSQL-restart fault test). Every connection gets
  // one for its whole life: the query in flight still fails with the error, pg marks the
  // connection unusable, and the pool discards it when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  let name: string | undefined
  try {
    if (schema !== undefined) await createSchema(db, schema)
    const current = await sql<{ name: string }>`select current_schema() as name`.execute(db)
    name = current.rows[0]?.name
    // Kysely's migrator holds an advisory lock around applying migrations, but first creates
    // its own tables outside it, and two processes doing that on a fresh schema at once can
    // both fail ("store migration failed", seen with replicas starting together). So the whole
    // run is serialized across processes by a session lock on the schema's name.
    await withSessionLock(url, `keyless:migrate:${name}`, () =>
      migrateToLatest(db, { schema: name }),
    )
  } catch (error) {
    await db.destroy()
    throw error
  }
  const store = createStore(db, POSTGRES_CAPABILITIES)
  const watch = commitWatch(url, name ?? 'public')
  const watches = new Set<() => Promise<void>>()
  return {
    ...store,
    async watchCommits(wake, onError) {
      const stop = await watch(wake, onError)
      const once = async () => {
        watches.delete(once)
        await stop()
      }
      watches.add(once)
      return once
    },
    async close() {
      await Promise.all([...watches].map((stop) => stop()))
      await store.close()
    },
  }
}

/**
 * Runs `fn` holding a PostgreSQL session advisory lock named `key`, on a connection of its own
 * (not the pool's: `fn` may need every pooled connection).
 */
export async function withSessionLock<T>(
  url: string,
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  client.on('error', () => undefined)
  await client.connect()
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [key])
    try {
      return await fn()
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [key])
    }
  } finally {
    await client.end()
  }
}

async function createSchema(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await db.schema.createSchema(schema).ifNotExists().execute()
  } catch (error) {
    // `if not exists` still races: two sessions creating it at once, one fails on the catalog's
    // unique index (23505) or with duplicate_schema (42P06). Either way the schema exists.
    const code = (error as { code?: unknown }).code
    if (code !== '23505' && code !== '42P06') throw error
  }
}
