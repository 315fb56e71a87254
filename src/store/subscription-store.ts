import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { SubscriptionStore } from './store.js'

// Subscription ids are GUIDs that ARM compares case-insensitively; they are kept lower-cased
// here and in every `subscription_id` column so that lookups and foreign keys can use plain
// indexes instead of lower() on each side.
export const subscriptionKey = (id: string): string => id.toLowerCase()

export function createSubscriptionStore(db: Kysely<Database>): SubscriptionStore {
  return {
    async create(row) {
      await db
        .insertInto('subscriptions')
        .values({ ...row, id: subscriptionKey(row.id) })
        .execute()
    },
    fetch: (id) =>
      db
        .selectFrom('subscriptions')
        .selectAll()
        .where('id', '=', subscriptionKey(id))
        .executeTakeFirst(),
    list: (tenantId) =>
      db
        .selectFrom('subscriptions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('id')
        .execute(),
  }
}
