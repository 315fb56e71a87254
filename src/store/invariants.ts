// The store's invariants, checked by reading it whole: what must hold after any crash, because
// every change is one transaction (issue 10). The fault tests run it after each kill -9 and
// restart; it is also a repair-free diagnostic for an operator's copy. Each violation names the
// rule and the row. Reading everything is fine for a diagnostic, not for a request path.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

export interface Violation {
  rule: string
  row: string
}

export interface InvariantOptions {
  /** `<dataDir>/blobs`: every blob and staged block row must name a file there. */
  blobRoot?: string
}

const USER_ASSIGNED = 'microsoft.managedidentity/userassignedidentities'

export async function findViolations(
  db: Kysely<Database>,
  options: InvariantOptions = {},
): Promise<Violation[]> {
  const [subs, groups, resources, principals, attachments, assignments, secrets, containers] =
    await Promise.all([
      db.selectFrom('subscriptions').select('id').execute(),
      db.selectFrom('resource_groups').select('key').execute(),
      db.selectFrom('resources').select(['key', 'type_key', 'parent_key', 'group_key']).execute(),
      db
        .selectFrom('service_principals')
        .select(['object_id', 'resource_key', 'identity_kind'])
        .execute(),
      db.selectFrom('identity_attachments').select(['resource_key', 'identity_key']).execute(),
      db.selectFrom('role_assignments').select(['name', 'scope_key', 'principal_id']).execute(),
      db.selectFrom('vault_secrets').select(['vault_key', 'name_key', 'version']).execute(),
      db.selectFrom('blob_containers').select(['id', 'account_key']).execute(),
    ])
  const out: Violation[] = []
  const bad = (rule: string, row: string) => out.push({ rule, row })
  const subKeys = new Set(subs.map((s) => `/subscriptions/${s.id.toLowerCase()}`))
  const groupKeys = new Set(groups.map((g) => g.key))
  const resourceKeys = new Set(resources.map((r) => r.key))
  const principalIds = new Set(principals.map((p) => p.object_id))
  const userPrincipalOf = new Set(
    principals.filter((p) => p.identity_kind === 'UserAssigned').map((p) => p.resource_key),
  )

  for (const r of resources) {
    if (!groupKeys.has(r.group_key)) bad('resource without its group', r.key)
    if (r.parent_key !== null && !resourceKeys.has(r.parent_key)) {
      bad('child resource without its parent', r.key)
    }
    if (r.type_key === USER_ASSIGNED && !userPrincipalOf.has(r.key)) {
      bad('user-assigned identity without its principal', r.key)
    }
  }
  for (const p of principals) {
    if (
      p.identity_kind !== null &&
      (p.resource_key === null || !resourceKeys.has(p.resource_key))
    ) {
      bad('managed-identity principal without its resource', p.object_id)
    }
  }
  for (const a of attachments) {
    if (!resourceKeys.has(a.resource_key)) bad('attachment from a missing resource', a.resource_key)
    if (!resourceKeys.has(a.identity_key) || !userPrincipalOf.has(a.identity_key)) {
      bad('attachment to a missing identity', `${a.resource_key} -> ${a.identity_key}`)
    }
  }
  const scopeExists = (scope: string): boolean => {
    if (scope === '/' || scope.startsWith('/providers/')) return true
    if (subKeys.has(scope) || groupKeys.has(scope) || resourceKeys.has(scope)) return true
    // A data-plane sub-scope (a container, a secret) lives as long as the resource above it.
    for (let i = scope.lastIndexOf('/'); i > 0; i = scope.lastIndexOf('/', i - 1)) {
      if (resourceKeys.has(scope.slice(0, i))) return true
    }
    return false
  }
  for (const a of assignments) {
    if (!principalIds.has(a.principal_id)) bad('role assignment without its principal', a.name)
    if (!scopeExists(a.scope_key)) bad('role assignment without its scope', a.name)
  }
  for (const s of secrets) {
    if (!resourceKeys.has(s.vault_key))
      bad('secret without its vault', `${s.vault_key}/${s.name_key}`)
  }
  const containerIds = new Set<string>()
  for (const c of containers) {
    containerIds.add(c.id)
    if (!resourceKeys.has(c.account_key)) bad('container without its storage account', c.id)
  }
  const contentExists = (file: string) =>
    options.blobRoot === undefined ||
    existsSync(join(options.blobRoot, 'data', file.slice(0, 2), file))
  for (const b of await db
    .selectFrom('blobs')
    .select(['container_id', 'name', 'content_file'])
    .execute()) {
    if (!containerIds.has(b.container_id)) bad('blob without its container', b.name)
    if (!contentExists(b.content_file)) bad('blob row without its content file', b.name)
  }
  for (const b of await db
    .selectFrom('blob_blocks')
    .select(['container_id', 'blob_name', 'content_file'])
    .execute()) {
    if (!contentExists(b.content_file)) bad('staged block without its content file', b.blob_name)
  }
  return out
}
