import type { Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import { readPage } from './paging.js'
import type { Database } from './schema.js'
import type { PrincipalStore } from './store.js'

export function createPrincipalStore(db: Kysely<Database>): PrincipalStore {
  const principals = () => db.selectFrom('service_principals').selectAll()

  return {
    async create(row) {
      await db
        .insertInto('service_principals')
        .values({ ...row, resource_key: row.resource_key?.toLowerCase() ?? null })
        .execute()
    },
    fetch: (objectId) => principals().where('object_id', '=', objectId).executeTakeFirst(),
    fetchByAppId: (appId) => principals().where('app_id', '=', appId).executeTakeFirst(),
    fetchByResource: (resourceKey) =>
      principals().where('resource_key', '=', resourceKey.toLowerCase()).executeTakeFirst(),
    list: (page = {}) =>
      readPage(
        page,
        (row) => row.object_id,
        (after, take) =>
          principals()
            .$if(after !== undefined, (qb) => qb.where('object_id', '>', after as string))
            .orderBy('object_id')
            .limit(take)
            .execute(),
      ),
    async delete(objectId) {
      const result = await db
        .deleteFrom('service_principals')
        .where('object_id', '=', objectId)
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },
  }
}
