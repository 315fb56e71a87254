// What the fault tests share: the store of a `keyless up` opened beside it (SQLite file or a
// PostgreSQL database of its own), its invariant check, and the trial sizes (CI's short form by
// default; the full form from scripts/fault-trials.sh).
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { openStore } from '../../../src/store/index.js'
import type { Violation } from '../../../src/store/invariants.js'

export const TRIALS = Number(process.env.KEYLESS_FAULT_TRIALS ?? 3)
export const OPERATIONS = Number(process.env.KEYLESS_FAULT_OPERATIONS ?? 200)
export const SEED = Number(process.env.KEYLESS_FAULT_SEED ?? 20261207)
export const PG_URL = process.env.KEYLESS_TEST_POSTGRES_URL

/** The invariant violations of the store that `keyless up` in dataDir uses. */
export async function violations(dataDir: string, databaseUrl?: string): Promise<Violation[]> {
  const store = await openStore(
    databaseUrl ? { postgresUrl: databaseUrl } : { sqliteFile: join(dataDir, 'keyless.db') },
  )
  try {
    return await store.findViolations({ blobRoot: join(dataDir, 'blobs') })
  } finally {
    await store.close()
  }
}

/** A fresh database on the test server, and a function that drops it. */
export async function freshDatabase(
  baseUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `klrel_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}
