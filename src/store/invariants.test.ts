import { test } from 'node:test'
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteStore } from './sqlite.js'

// Orphans the schema's foreign keys would refuse, written with them switched off, as a torn
// write or a bug in a multi-step change would leave them.
const ORPHANS: { rule: string; sql: string }[] = [
  {
    rule: 'managed-identity principal without its resource',
    sql: `insert into service_principals (object_id, app_id, tenant_id, display_name, principal_type, identity_kind, alternative_names, resource_key, created_at)
          values ('p1', 'a1', 't', 'x', 'ManagedIdentity', 'SystemAssigned', '[]', '/subscriptions/s/resourcegroups/g/providers/microsoft.compute/virtualmachines/gone', 0)`,
  },
  {
    rule: 'role assignment without its principal',
    sql: `insert into role_assignments (name, scope, scope_key, role_definition_id, principal_id, principal_type, description, condition, condition_version, created_at, updated_at, created_by)
          values ('ra1', '/', '/', 'r', 'nobody', 'ServicePrincipal', null, null, null, 0, 0, null)`,
  },
]

test('the invariant checker finds each kind of orphan, and none in a sound store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-invariants-'))
  try {
    const file = join(dir, 'keyless.db')
    const store = await openSqliteStore(file)
    assert.deepEqual(await store.findViolations(), [])
    await store.close()
    const raw = new Database(file)
    raw.pragma('foreign_keys = OFF')
    for (const o of ORPHANS) raw.exec(o.sql)
    raw.close()
    const reopened = await openSqliteStore(file)
    const found = (await reopened.findViolations()).map((v) => v.rule)
    await reopened.close()
    for (const o of ORPHANS) assert.ok(found.includes(o.rule), `${o.rule} not found in ${found}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
