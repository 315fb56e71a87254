import type { Kysely } from 'kysely'
import { affectedRows, assertFound, hasChanges } from './changes.js'
import { readPage } from './paging.js'
import type { Database } from './schema.js'
import type { RoleDefinitionStore } from './store.js'

// Custom role definitions only; ids are GUIDs kept lower-cased, names unique in any casing.
export function createRoleDefinitionStore(db: Kysely<Database>): RoleDefinitionStore {
  const rows = () => db.selectFrom('role_definitions').selectAll()
  return {
    async create(row) {
      await db
        .insertInto('role_definitions')
        .values({
          ...row,
          id: row.id.toLowerCase(),
          scope: row.scope.toLowerCase(),
          role_name_key: row.role_name.toLowerCase(),
        })
        .execute()
    },
    fetch: (id) => rows().where('id', '=', id.toLowerCase()).executeTakeFirst(),
    fetchByName: (roleName) =>
      rows().where('role_name_key', '=', roleName.toLowerCase()).executeTakeFirst(),
    list: (page = {}) =>
      readPage(
        page,
        (row) => row.id,
        (after, take) =>
          rows()
            .$if(after !== undefined, (qb) => qb.where('id', '>', after as string))
            .orderBy('id')
            .limit(take)
            .execute(),
      ),
    async update(id, changes) {
      const set =
        changes.role_name === undefined
          ? changes
          : { ...changes, role_name_key: changes.role_name.toLowerCase() }
      const found = hasChanges(set)
        ? affectedRows(
            (
              await db
                .updateTable('role_definitions')
                .set(set)
                .where('id', '=', id.toLowerCase())
                .executeTakeFirst()
            ).numUpdatedRows,
          ) > 0
        : (await rows().where('id', '=', id.toLowerCase()).executeTakeFirst()) !== undefined
      assertFound(found, 'RoleDefinitionDoesNotExist', 'the role definition does not exist')
    },
    async delete(id) {
      const result = await db
        .deleteFrom('role_definitions')
        .where('id', '=', id.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },
  }
}
