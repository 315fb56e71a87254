import Database from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely'
import { createStore } from './create-store.js'
import { migrateToLatest } from './migrate.js'
import type { Database as Tables } from './schema.js'
import type { Store, StoreCapabilities } from './store.js'

export interface SqliteStoreOptions {
  /** How long a statement waits for another process's write lock before failing. */
  busyTimeoutMs?: number
}

// SQLite has one connection per process, so Kysely's driver serializes transactions behind a
// mutex: a query issued during a transaction waits for it instead of joining it. Across
// processes, a plain `begin` reads first and upgrades to a write lock later, which fails with
// SQLITE_BUSY at once (busy_timeout does not apply to the upgrade); `begin immediate` takes the
// write lock up front and waits for it like any other statement.
class ImmediateTransactionDriver extends SqliteDriver {
  readonly #database: Database.Database
  constructor(config: SqliteDialectConfig, database: Database.Database) {
    super(config)
    this.#database = database
  }
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
  // On SQLITE_FULL, IOERR, NOMEM (and BUSY in some cases) SQLite rolls the transaction back
  // itself (https://sqlite.org/lang_transaction.html, "Response To Errors Within A
  // Transaction"); a second `rollback` would fail and hide the real error behind "cannot
  // rollback - no transaction is active", turning a full disk into a 500.
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#database.inTransaction) await super.rollbackTransaction(connection)
  }
}

// Kysely asks the database to prepare every statement it runs; compiling the same SQL again
// costs more than running it. Statements are reusable in better-sqlite3, and the driver runs one
// query at a time per connection, so one prepared statement per SQL text serves them all. The
// texts are the queries of the repositories (a few hundred); the bound guards against a caller
// that builds SQL from data.
const STATEMENT_CACHE_LIMIT = 1000

function withStatementCache(database: Database.Database): SqliteDatabase {
  const statements = new Map<string, Database.Statement>()
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql)
      if (statement === undefined) {
        if (statements.size >= STATEMENT_CACHE_LIMIT) statements.clear()
        statement = database.prepare(sql)
        statements.set(sql, statement)
      }
      return statement
    },
  }
}

class KeylessSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig
  readonly #database: Database.Database
  constructor(config: SqliteDialectConfig, database: Database.Database) {
    super(config)
    this.#config = config
    this.#database = database
  }
  override createDriver(): Driver {
    return new ImmediateTransactionDriver(this.#config, this.#database)
  }
}

export const SQLITE_CAPABILITIES: StoreCapabilities = Object.freeze({
  // One connection and `begin immediate` transactions: every transaction holds the database's
  // one write lock from its first statement, so writes never interleave.
  hasConcurrentWriters: false,
  // The database file lives in the server's own data directory, which one server holds.
  isSharedByReplicas: false,
})

export async function openSqliteStore(
  file: string,
  options: SqliteStoreOptions = {},
): Promise<Store> {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError('busyTimeoutMs must be a non-negative integer')
  }
  const database = new Database(file)
  const db = new Kysely<Tables>({
    dialect: new KeylessSqliteDialect({ database: withStatementCache(database) }, database),
  })
  try {
    database.pragma(`busy_timeout = ${busyTimeoutMs}`)
    // WAL lets readers run beside the writer; with WAL, NORMAL sync is durable against process
    // crashes and loses at most the last commits on power loss, for far fewer fsyncs.
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = NORMAL')
    // Off by default in SQLite, and the cascades of the schema depend on it.
    database.pragma('foreign_keys = ON')
    // Kysely runs SQLite migrations outside a transaction and takes no lock (its adapter reports
    // no transactional DDL). SQLite's DDL is transactional, so one immediate transaction makes
    // them all-or-nothing and keeps a second process from migrating at the same time.
    database.exec('begin immediate')
    await migrateToLatest(db)
    database.exec('commit')
  } catch (error) {
    if (database.inTransaction) database.exec('rollback')
    await db.destroy()
    throw error
  }
  return createStore(db, SQLITE_CAPABILITIES)
}
