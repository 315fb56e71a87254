import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely'
import { affectedRows, assertFound, hasChanges } from './changes.js'
import { readPage } from './paging.js'
import type { Database, ResourceRowUpdate } from './schema.js'
import type { ResourceFilter, ResourceStore } from './store.js'
import { subscriptionKey } from './subscription-store.js'

// Keys are lower-cased on the way in, whatever the caller passed, so that a lookup by an id in
// any casing finds the row (ARM compares ids case-insensitively).
function lowerKeys<T extends ResourceRowUpdate>(row: T): T {
  const lower = (value: string | null | undefined) => value?.toLowerCase() ?? value
  const result = { ...row }
  if (row.key !== undefined) result.key = lower(row.key) as string
  if (row.group_key !== undefined) result.group_key = lower(row.group_key) as string
  if (row.type_key !== undefined) result.type_key = lower(row.type_key) as string
  if (row.parent_key !== undefined) result.parent_key = lower(row.parent_key)
  if (row.subscription_id !== undefined)
    result.subscription_id = subscriptionKey(row.subscription_id)
  return result
}

function matching(filter: ResourceFilter) {
  return (eb: ExpressionBuilder<Database, 'resources'>) => {
    const conditions: Expression<SqlBool>[] = []
    if (filter.subscriptionId !== undefined) {
      conditions.push(eb('subscription_id', '=', subscriptionKey(filter.subscriptionId)))
    }
    if (filter.groupKey !== undefined) {
      conditions.push(eb('group_key', '=', filter.groupKey.toLowerCase()))
    }
    if (filter.typeKey !== undefined) {
      conditions.push(eb('type_key', '=', filter.typeKey.toLowerCase()))
    }
    if (filter.parentKey !== undefined) {
      conditions.push(eb('parent_key', '=', filter.parentKey.toLowerCase()))
    }
    if (filter.hostId !== undefined) conditions.push(eb('host_id', '=', filter.hostId))
    return eb.and(conditions)
  }
}

export function createResourceStore(db: Kysely<Database>): ResourceStore {
  const fetch: ResourceStore['fetch'] = (key) =>
    db.selectFrom('resources').selectAll().where('key', '=', key.toLowerCase()).executeTakeFirst()

  return {
    async create(row) {
      await db.insertInto('resources').values(lowerKeys(row)).execute()
    },
    fetch,
    findByName: (typeKey, name) =>
      db
        .selectFrom('resources')
        .selectAll()
        .where('type_key', '=', typeKey.toLowerCase())
        .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
        .execute(),
    list: (filter, page = {}) =>
      readPage(
        page,
        (row) => row.key,
        (after, take) =>
          db
            .selectFrom('resources')
            .selectAll()
            .where(matching(filter))
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
                .updateTable('resources')
                .set(lowerKeys(changes))
                .where('key', '=', key.toLowerCase())
                .executeTakeFirst()
            ).numUpdatedRows,
          ) > 0
        : (await fetch(key)) !== undefined
      assertFound(found, 'ResourceNotFound', 'the resource does not exist')
    },
    async delete(key) {
      const result = await db
        .deleteFrom('resources')
        .where('key', '=', key.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },
    async count(filter) {
      const { count } = await db
        .selectFrom('resources')
        .select((eb) => eb.fn.countAll().as('count'))
        .where(matching(filter))
        .executeTakeFirstOrThrow()
      return Number(count)
    },
  }
}
