// Committed blobs and staged blocks. Rows only ever name complete content files (the service
// writes and fsyncs the file before it commits the row), so whatever a reader finds is whole.
import type { Kysely } from 'kysely'
import { type BlobNameRange, nameInRange } from './blob-names.js'
import { affectedRows } from './changes.js'
import type { BlobBlockRow, BlobRow, Database } from './schema.js'

export type BlobRowChanges = Partial<
  Pick<
    BlobRow,
    | 'metadata'
    | 'etag'
    | 'updated_at'
    | 'content_type'
    | 'content_encoding'
    | 'content_language'
    | 'content_disposition'
    | 'cache_control'
    | 'content_md5'
  >
>

export interface BlobStore {
  fetch(containerId: string, name: string): Promise<BlobRow | undefined>
  /** Blobs of a container in name order. */
  list(containerId: string, range: BlobNameRange): Promise<BlobRow[]>
  /** Creates the blob or replaces it whole. */
  put(row: BlobRow): Promise<void>
  update(containerId: string, name: string, changes: BlobRowChanges): Promise<boolean>
  delete(containerId: string, name: string): Promise<boolean>

  /** Stages a block, replacing a staged block with the same id; returns the replaced one. */
  stageBlock(row: BlobBlockRow): Promise<BlobBlockRow | undefined>
  /** Staged blocks of a blob, oldest first. */
  listBlocks(containerId: string, blobName: string): Promise<BlobBlockRow[]>
  /** Discards the staged blocks of a blob; returns them (for their files). */
  deleteBlocks(containerId: string, blobName: string): Promise<BlobBlockRow[]>

  /**
   * Discards the staged blocks of every blob that has had no block staged after `before`
   * (Azure: uncommitted blocks go when a blob sees no Put Block or Put Block List for a week).
   * Returns how many blocks went; their files are then unreferenced, for the collector.
   */
  pruneBlocks(before: number): Promise<number>

  /** Content files of every blob and staged block of a container. */
  listContainerFiles(containerId: string): Promise<string[]>
  /** Content files referenced by any blob or staged block, in order, after `after`. */
  listReferencedFiles(after: string | undefined, limit: number): Promise<string[]>
}

export function createBlobStore(db: Kysely<Database>): BlobStore {
  const blobs = () => db.selectFrom('blobs').selectAll()
  const blocks = (containerId: string, blobName: string) =>
    db
      .selectFrom('blob_blocks')
      .selectAll()
      .where('container_id', '=', containerId)
      .where('blob_name', '=', blobName)
  const filesAfter = (table: 'blobs' | 'blob_blocks', after: string | undefined, limit: number) =>
    db
      .selectFrom(table)
      .select('content_file')
      .$if(after !== undefined, (qb) => qb.where('content_file', '>', after as string))
      .orderBy('content_file')
      .limit(limit)
      .execute()

  return {
    fetch: (containerId, name) =>
      blobs().where('container_id', '=', containerId).where('name', '=', name).executeTakeFirst(),
    list: (containerId, range) =>
      blobs()
        .where('container_id', '=', containerId)
        .where((eb) => eb.and(nameInRange('name', range)))
        .orderBy('name')
        .limit(range.limit)
        .execute(),
    async put(row) {
      await db
        .insertInto('blobs')
        .values(row)
        .onConflict((oc) => {
          const { container_id: _c, name: _n, created_at: _t, ...rest } = row
          return oc.columns(['container_id', 'name']).doUpdateSet(rest)
        })
        .execute()
    },
    async update(containerId, name, changes) {
      const result = await db
        .updateTable('blobs')
        .set(changes)
        .where('container_id', '=', containerId)
        .where('name', '=', name)
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) > 0
    },
    async delete(containerId, name) {
      const result = await db
        .deleteFrom('blobs')
        .where('container_id', '=', containerId)
        .where('name', '=', name)
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) > 0
    },

    async stageBlock(row) {
      const replaced = await blocks(row.container_id, row.blob_name)
        .where('block_id', '=', row.block_id)
        .executeTakeFirst()
      await db
        .insertInto('blob_blocks')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['container_id', 'blob_name', 'block_id']).doUpdateSet({
            content_file: row.content_file,
            size: row.size,
            created_at: row.created_at,
          }),
        )
        .execute()
      return replaced
    },
    listBlocks: (containerId, blobName) =>
      blocks(containerId, blobName).orderBy('created_at').orderBy('block_id').execute(),
    async deleteBlocks(containerId, blobName) {
      const gone = await blocks(containerId, blobName).execute()
      if (gone.length > 0) {
        await db
          .deleteFrom('blob_blocks')
          .where('container_id', '=', containerId)
          .where('blob_name', '=', blobName)
          .execute()
      }
      return gone
    },

    async pruneBlocks(before) {
      // One statement: a block staged meanwhile either is seen (and keeps its blob's blocks)
      // or is committed after the statement's snapshot and is not deleted.
      const result = await db
        .deleteFrom('blob_blocks as b')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('blob_blocks as n')
                .select('n.block_id')
                .whereRef('n.container_id', '=', 'b.container_id')
                .whereRef('n.blob_name', '=', 'b.blob_name')
                .where('n.created_at', '>', before),
            ),
          ),
        )
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },

    async listContainerFiles(containerId) {
      const files: string[] = []
      for (const table of ['blobs', 'blob_blocks'] as const) {
        const rows = await db
          .selectFrom(table)
          .select('content_file')
          .where('container_id', '=', containerId)
          .execute()
        for (const r of rows) files.push(r.content_file)
      }
      return files
    },
    async listReferencedFiles(after, limit) {
      // Keyset paging over two tables: each side's first `limit` holds every file of the merged
      // first `limit`. File names are lower-case hex, which sorts alike in every collation.
      const a = await filesAfter('blobs', after, limit)
      const b = await filesAfter('blob_blocks', after, limit)
      const merged = [...new Set([...a, ...b].map((r) => r.content_file))].sort()
      return merged.slice(0, limit)
    },
  }
}
