import type { ExpressionBuilder, Kysely } from 'kysely'
import { affectedRows, assertFound, hasChanges } from './changes.js'
import { readPage } from './paging.js'
import type { Database } from './schema.js'
import { scopeCondition } from './scope-filter.js'
import type { RoleAssignmentFilter, RoleAssignmentStore, StoreCapabilities } from './store.js'

// Names, scope keys, role definition ids and principal ids are GUIDs or keys that ARM compares
// case-insensitively: kept lower-cased, so lookups and the unique constraint need no lower().
function matching(filter: RoleAssignmentFilter, capabilities: StoreCapabilities) {
  return (eb: ExpressionBuilder<Database, 'role_assignments'>) => {
    const conditions = []
    if (filter.principalId !== undefined) {
      conditions.push(eb('principal_id', '=', filter.principalId.toLowerCase()))
    }
    if (filter.roleDefinitionId !== undefined) {
      conditions.push(eb('role_definition_id', '=', filter.roleDefinitionId.toLowerCase()))
    }
    const scope = scopeCondition(filter, capabilities)
    if (scope) conditions.push(scope)
    return eb.and(conditions)
  }
}

export function createRoleAssignmentStore(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
): RoleAssignmentStore {
  const rows = () => db.selectFrom('role_assignments').selectAll()
  const all = (filter: RoleAssignmentFilter) =>
    rows().where(matching(filter, capabilities)).orderBy('name')
  const remove = async (filter: RoleAssignmentFilter) => {
    const gone = await all(filter).execute()
    if (gone.length > 0)
      await db.deleteFrom('role_assignments').where(matching(filter, capabilities)).execute()
    return gone
  }

  return {
    async create(row) {
      await db
        .insertInto('role_assignments')
        .values({
          ...row,
          name: row.name.toLowerCase(),
          scope_key: row.scope_key.toLowerCase(),
          role_definition_id: row.role_definition_id.toLowerCase(),
          principal_id: row.principal_id.toLowerCase(),
        })
        .execute()
    },
    fetch: (name) => rows().where('name', '=', name.toLowerCase()).executeTakeFirst(),
    list: (filter, page = {}) =>
      readPage(
        page,
        (row) => row.name,
        (after, take) =>
          rows()
            .where(matching(filter, capabilities))
            .$if(after !== undefined, (qb) => qb.where('name', '>', after as string))
            .orderBy('name')
            .limit(take)
            .execute(),
      ),
    async count(filter) {
      const { count } = await db
        .selectFrom('role_assignments')
        .select((eb) => eb.fn.countAll().as('count'))
        .where(matching(filter, capabilities))
        .executeTakeFirstOrThrow()
      return Number(count)
    },
    async update(name, changes) {
      const key = name.toLowerCase()
      const found = hasChanges(changes)
        ? affectedRows(
            (
              await db
                .updateTable('role_assignments')
                .set(changes)
                .where('name', '=', key)
                .executeTakeFirst()
            ).numUpdatedRows,
          ) > 0
        : (await rows().where('name', '=', key).executeTakeFirst()) !== undefined
      assertFound(found, 'RoleAssignmentNotFound', 'the role assignment does not exist')
    },
    async delete(name) {
      const result = await db
        .deleteFrom('role_assignments')
        .where('name', '=', name.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },
    deleteByPrincipal: (principalId) => remove({ principalId }),
    deleteAtOrBelow: (scopeKey) => remove({ scopeKeys: [scopeKey], below: scopeKey }),
  }
}
