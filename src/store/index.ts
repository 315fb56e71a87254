// The store's public surface: one way to open it, and the types.
import { openPostgresStore } from './postgres.js'
import { openSqliteStore } from './sqlite.js'
import type { Store } from './store.js'

export type StoreConfig = { sqliteFile: string } | { postgresUrl: string; schema?: string }

export async function openStore(config: StoreConfig): Promise<Store> {
  if ('sqliteFile' in config) return openSqliteStore(config.sqliteFile)
  if ('postgresUrl' in config)
    return openPostgresStore(config.postgresUrl, { schema: config.schema })
  throw new TypeError('store config needs sqliteFile or postgresUrl')
}

export type * from './schema.js'
export type * from './store.js'
