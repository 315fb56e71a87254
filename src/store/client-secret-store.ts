import type { Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import type { Database } from './schema.js'
import type { ClientSecretStore } from './store.js'

export function createClientSecretStore(db: Kysely<Database>): ClientSecretStore {
  return {
    async create(row) {
      await db.insertInto('client_secrets').values(row).execute()
    },
    listByAppId: (appId) =>
      db
        .selectFrom('client_secrets')
        .selectAll()
        .where('app_id', '=', appId)
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
    async deleteByAppId(appId) {
      const result = await db
        .deleteFrom('client_secrets')
        .where('app_id', '=', appId)
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },
  }
}
