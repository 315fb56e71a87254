import type { Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import type { Database } from './schema.js'
import type { HostStore } from './store.js'

export function createHostStore(db: Kysely<Database>): HostStore {
  return {
    async create(row) {
      await db.insertInto('hosts').values(row).execute()
    },
    fetch: (id) => db.selectFrom('hosts').selectAll().where('id', '=', id).executeTakeFirst(),
    fetchLocal: () =>
      db
        .selectFrom('hosts')
        .selectAll()
        .where('is_local', '=', 1)
        .where('state', '=', 'active')
        .orderBy('created_at', 'desc')
        .executeTakeFirst(),
    list: () => db.selectFrom('hosts').selectAll().orderBy('created_at').orderBy('id').execute(),
    async update(id, changes) {
      const result = await db
        .updateTable('hosts')
        .set(changes)
        .where('id', '=', id)
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) > 0
    },
  }
}
