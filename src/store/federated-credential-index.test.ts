// A token exchange reads an identity's credentials for one issuer (listByIssuer). At the cap of
// 1,000 credentials that read must not scan them: SQLite's plan for the store's query is a
// search of the (identity_key, issuer, subject) index on both columns, not a read of all the
// identity's credentials through the primary key.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { openStore } from './index.js'

const dir = mkdtempSync(join(tmpdir(), 'keyless-fic-index-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('federated credential lookup by issuer', () => {
  it('searches the issuer index instead of scanning the table', async () => {
    const file = join(dir, 'keyless.db')
    await (await openStore({ sqliteFile: file })).close()
    const db = new Database(file, { readonly: true })
    try {
      const plan = db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT * FROM federated_credentials WHERE identity_key = ? AND issuer = ?',
        )
        .all('k', 'https://issuer') as { detail: string }[]
      const details = plan.map((p) => p.detail).join('\n')
      assert.match(
        details,
        /SEARCH federated_credentials USING INDEX federated_credentials_issuer_subject \(identity_key=\? AND issuer=\?\)/,
      )
      assert.doesNotMatch(details, /SCAN federated_credentials/)
    } finally {
      db.close()
    }
  })
})
