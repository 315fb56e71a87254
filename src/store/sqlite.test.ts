import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { runStoreContract } from './contract/index.js'
import { openStore } from './index.js'
import { migrateToLatest } from './migrate.js'
import { migrations } from './migrations/index.js'

const dir = mkdtempSync(join(tmpdir(), 'keyless-store-'))
const file = join(dir, 'keyless.db')
after(() => rmSync(dir, { recursive: true, force: true }))

runStoreContract(
  'sqlite',
  () => openStore({ sqliteFile: file }),
  async (sql) => {
    const database = new Database(file)
    try {
      database.exec(sql)
    } finally {
      database.close()
    }
  },
)

describe('sqlite store', () => {
  it('leaves the file in WAL journal mode', async () => {
    const store = await openStore({ sqliteFile: join(dir, 'wal.db') })
    await store.close()
    const database = new Database(join(dir, 'wal.db'), { readonly: true })
    try {
      assert.equal(database.pragma('journal_mode', { simple: true }), 'wal')
    } finally {
      database.close()
    }
  })

  it('applies no migration to a file that is already migrated', async () => {
    const path = join(dir, 'migrated.db')
    await (await openStore({ sqliteFile: path })).close()
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) })
    try {
      assert.deepEqual(await migrateToLatest(db), [])
    } finally {
      await db.destroy()
    }
  })

  it('applies every migration, in order, to a new file', async () => {
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new Database(join(dir, 'new.db')) }),
    })
    try {
      assert.deepEqual(await migrateToLatest(db), Object.keys(migrations).sort())
    } finally {
      await db.destroy()
    }
  })
})
