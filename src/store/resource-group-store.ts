import type { Kysely } from 'kysely'
import { affectedRows, assertFound, hasChanges } from './changes.js'
import { readPage } from './paging.js'
import type { Database } from './schema.js'
import type { ResourceGroupStore } from './store.js'
import { subscriptionKey } from './subscription-store.js'

export function createResourceGroupStore(db: Kysely<Database>): ResourceGroupStore {
  const fetch: ResourceGroupStore['fetch'] = (key) =>
    db
      .selectFrom('resource_groups')
      .selectAll()
      .where('key', '=', key.toLowerCase())
      .executeTakeFirst()

  return {
    async create(row) {
      await db
        .insertInto('resource_groups')
        .values({
          ...row,
          key: row.key.toLowerCase(),
          subscription_id: subscriptionKey(row.subscription_id),
        })
        .execute()
    },
    fetch,
    list: (subscriptionId, page = {}) =>
      readPage(
        page,
        (row) => row.key,
        (after, take) =>
          db
            .selectFrom('resource_groups')
            .selectAll()
            .where('subscription_id', '=', subscriptionKey(subscriptionId))
            .$if(after !== undefined, (qb) => qb.where('key', '>', after as string))
            .orderBy('key')
            .limit(take)
            .execute(),
      ),
    async update(key, changes) {
      const found = hasChanges(changes)
        ? affectedRows(
            (
              await db
                .updateTable('resource_groups')
                .set(changes)
                .where('key', '=', key.toLowerCase())
                .executeTakeFirst()
            ).numUpdatedRows,
          ) > 0
        : (await fetch(key)) !== undefined
      assertFound(found, 'ResourceGroupNotFound', 'the resource group does not exist')
    },
    async delete(key) {
      const result = await db
        .deleteFrom('resource_groups')
        .where('key', '=', key.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },
  }
}
