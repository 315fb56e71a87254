// Every column that holds a value sealed under a purpose key of the master key (common/
// key-hierarchy.ts), for re-sealing them all when the master key is rotated (one transaction,
// server/rotate-master-key.ts). Blob content is sealed too, but in files (dataplane/blob).
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

export const SEALED_COLUMNS = {
  signingKeys: { table: 'signing_keys', column: 'private_key_enc', keys: ['kid'] },
  vaultSecrets: {
    table: 'vault_secrets',
    column: 'value_enc',
    keys: ['vault_key', 'name_key', 'version'],
  },
  vaultKeys: {
    table: 'vault_keys',
    column: 'private_enc',
    keys: ['vault_key', 'name_key', 'version'],
  },
  clusterState: { table: 'cluster_state', column: 'value', keys: ['name'] },
} as const

export type SealedColumn = keyof typeof SEALED_COLUMNS

export interface SealedValueStore {
  /** Replaces every value of `column` by `reseal(value)` (null keeps the row as it is). */
  resealAll(
    column: SealedColumn,
    reseal: (value: string) => Promise<string | null>,
  ): Promise<number>
  /** Rows of blob content, which rotation cannot re-seal in the database. */
  countBlobs(): Promise<number>
}

export function createSealedValueStore(db: Kysely<Database>): SealedValueStore {
  // The tables and columns come from SEALED_COLUMNS only, never from input.
  const loose = db as unknown as Kysely<Record<string, Record<string, string>>>
  return {
    async resealAll(name, reseal) {
      const { table, column, keys } = SEALED_COLUMNS[name]
      const rows = await loose
        .selectFrom(table)
        .select([...keys, column])
        .execute()
      let changed = 0
      for (const row of rows) {
        const next = await reseal(row[column]!)
        if (next === null) continue
        let update = loose.updateTable(table).set({ [column]: next })
        for (const k of keys) update = update.where(k, '=', row[k]!)
        await update.execute()
        changed++
      }
      return changed
    },
    async countBlobs() {
      const { n } = await db
        .selectFrom('blobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(n)
    },
  }
}
