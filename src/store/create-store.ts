import { sql, type Kysely } from 'kysely'
import { createRepositories } from './repositories.js'
import type { Database } from './schema.js'
import type { Store, StoreCapabilities } from './store.js'
import { translateError } from './translate-error.js'
import { findViolations } from './invariants.js'

/**
 * A Store over an open, migrated database, the same for both dialects: the dialect's driver
 * decides how a transaction gets its connection (see sqlite.ts and postgres.ts).
 */
export function createStore(db: Kysely<Database>, capabilities: StoreCapabilities): Store {
  let closing: Promise<void> | undefined
  return {
    capabilities,
    ...createRepositories(db, capabilities),
    async transaction(fn) {
      try {
        return await db.transaction().execute((trx) => fn(createRepositories(trx, capabilities)))
      } catch (error) {
        throw translateError(error)
      }
    },
    async ping() {
      try {
        await sql`select 1`.execute(db)
      } catch (error) {
        throw translateError(error)
      }
    },
    findViolations: (options) => findViolations(db, options),
    close() {
      closing ??= db.destroy()
      return closing
    },
  }
}
