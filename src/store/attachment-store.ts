import type { Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import type { Database } from './schema.js'
import type { AttachmentStore } from './store.js'

export function createAttachmentStore(db: Kysely<Database>): AttachmentStore {
  const remove = async (resourceKey: string | undefined, identityKey: string | undefined) => {
    const result = await db
      .deleteFrom('identity_attachments')
      .$if(resourceKey !== undefined, (qb) =>
        qb.where('resource_key', '=', (resourceKey as string).toLowerCase()),
      )
      .$if(identityKey !== undefined, (qb) =>
        qb.where('identity_key', '=', (identityKey as string).toLowerCase()),
      )
      .executeTakeFirst()
    return affectedRows(result.numDeletedRows)
  }

  return {
    async create(row) {
      await db
        .insertInto('identity_attachments')
        .values({
          ...row,
          resource_key: row.resource_key.toLowerCase(),
          identity_key: row.identity_key.toLowerCase(),
        })
        .execute()
    },
    listByResource: (resourceKey) =>
      db
        .selectFrom('identity_attachments')
        .selectAll()
        .where('resource_key', '=', resourceKey.toLowerCase())
        .orderBy('identity_key')
        .execute(),
    listByIdentity: (identityKey) =>
      db
        .selectFrom('identity_attachments')
        .selectAll()
        .where('identity_key', '=', identityKey.toLowerCase())
        .orderBy('resource_key')
        .execute(),
    async updateSelectors(resourceKey, identityKey, selectors) {
      const result = await db
        .updateTable('identity_attachments')
        .set({ selectors })
        .where('resource_key', '=', resourceKey.toLowerCase())
        .where('identity_key', '=', identityKey.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) > 0
    },
    delete: async (resourceKey, identityKey) => (await remove(resourceKey, identityKey)) > 0,
    deleteByResource: (resourceKey) => remove(resourceKey, undefined),
    deleteByIdentity: (identityKey) => remove(undefined, identityKey),
  }
}
