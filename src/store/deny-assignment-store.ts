import type { Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import { readPage } from './paging.js'
import type { Database } from './schema.js'
import { scopeCondition, type ScopeFilter } from './scope-filter.js'
import type { DenyAssignmentStore, StoreCapabilities } from './store.js'

export function createDenyAssignmentStore(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
): DenyAssignmentStore {
  const rows = (filter: ScopeFilter) => {
    const scope = scopeCondition(filter, capabilities)
    const q = db.selectFrom('deny_assignments').selectAll()
    return scope ? q.where(scope) : q
  }

  return {
    async create(row) {
      await db
        .insertInto('deny_assignments')
        .values({ ...row, id: row.id.toLowerCase(), scope_key: row.scope_key.toLowerCase() })
        .execute()
    },
    fetch: (id) => rows({}).where('id', '=', id.toLowerCase()).executeTakeFirst(),
    list: (filter, page = {}) =>
      readPage(
        page,
        (row) => row.id,
        (after, take) =>
          rows(filter)
            .$if(after !== undefined, (qb) => qb.where('id', '>', after as string))
            .orderBy('id')
            .limit(take)
            .execute(),
      ),
    async delete(id) {
      const result = await db
        .deleteFrom('deny_assignments')
        .where('id', '=', id.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },
    async deleteAtOrBelow(scopeKey) {
      const filter = { scopeKeys: [scopeKey], below: scopeKey }
      const gone = await rows(filter).orderBy('id').execute()
      const scope = scopeCondition(filter, capabilities)!
      if (gone.length > 0) await db.deleteFrom('deny_assignments').where(scope).execute()
      return gone
    },
  }
}
