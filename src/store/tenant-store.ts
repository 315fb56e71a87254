import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { TenantStore } from './store.js'

export function createTenantStore(db: Kysely<Database>): TenantStore {
  return {
    async create(row) {
      await db.insertInto('tenants').values(row).execute()
    },
    fetch: (id) => db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst(),
    list: () => db.selectFrom('tenants').selectAll().orderBy('id').execute(),
  }
}
