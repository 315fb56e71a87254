// The RBAC engine: the store is the truth, the in-memory index answers. At start the index is
// loaded from the store; after that it follows the change log (events appended in the same
// transactions as the changes), through `sync()` after this process's own writes and through
// `apply()` / `sync()` from whatever feeds the server the log (PostgreSQL NOTIFY, a poll).
import type { Clock } from '../domain/clock.js'
import { BUILT_IN_ROLES } from '../domain/rbac/built-in-roles.js'
import type { AccessDecision } from '../domain/rbac/evaluate.js'
import type { Permission } from '../domain/rbac/types.js'
import type { Store } from '../store/store.js'
import { applyEvent, type ChangeEvent } from './apply-event.js'
import { AssignmentIndex, type CheckOptions } from './assignment-index.js'
import type { OpsContext } from './context.js'
import { createDenyAssignmentOps } from './deny-assignments.js'
import { createRoleAssignmentOps } from './role-assignments.js'
import { createRoleDefinitionOps } from './role-definitions.js'
import { denyAssignmentView, roleDefinitionFromRow } from './rows.js'

export interface AuthzOptions {
  store: Store
  clock: Clock
  /** The tenant named in PrincipalNotFound; read from the store when absent. */
  tenantId?: string
}

const PAGE = 1000

async function loadIndex(store: Store): Promise<AssignmentIndex> {
  const index = new AssignmentIndex()
  for (const r of BUILT_IN_ROLES) index.setRole(r)
  let after: string | undefined
  do {
    const page = await store.roleDefinitions.list({ limit: PAGE, after })
    for (const row of page.items) index.setRole(roleDefinitionFromRow(row))
    after = page.next
  } while (after)
  do {
    const page = await store.roleAssignments.list({}, { limit: PAGE, after })
    for (const row of page.items) {
      index.add({
        name: row.name,
        scope: row.scope_key,
        principalId: row.principal_id,
        roleDefinitionId: row.role_definition_id,
        condition: row.condition,
      })
    }
    after = page.next
  } while (after)
  do {
    const page = await store.denyAssignments.list({}, { limit: PAGE, after })
    for (const row of page.items) index.setDeny(denyAssignmentView(row))
    after = page.next
  } while (after)
  return index
}

export async function createAuthz({ store, clock, tenantId }: AuthzOptions) {
  let index = new AssignmentIndex()
  let seq = 0
  let tenant = tenantId ?? ''
  let syncing: Promise<void> = Promise.resolve()

  // Reads the log after the last applied event. Calls are queued, so events apply in order.
  function sync(): Promise<void> {
    const run = syncing.then(async () => {
      for (;;) {
        const events = await store.events.list(seq, PAGE)
        for (const e of events) {
          applyEvent(index, e)
          seq = e.seq
        }
        if (events.length < PAGE) return
      }
    })
    syncing = run.catch(() => undefined)
    return run
  }

  async function refresh(): Promise<void> {
    // The log position is read first: replaying events the snapshot already holds is harmless,
    // missing one committed during the load is not.
    const from = await store.events.last()
    const fresh = await loadIndex(store)
    const swap = syncing.then(() => {
      index = fresh
      seq = from
    })
    syncing = swap.catch(() => undefined)
    await swap
    await sync()
  }

  // After its own commit an operation brings the index up to date before it returns. If reading
  // the log fails then, the write still stands: the next sync (the follower's, or the next
  // write's) applies it.
  const afterWrite = () => sync().catch(() => undefined)
  const ctx: OpsContext = {
    store,
    clock,
    async tenantId(tx) {
      tenant ||= (await tx.tenants.list())[0]?.id ?? ''
      return tenant
    },
    sync: afterWrite,
  }
  await refresh()

  return {
    /** Whether the principal may perform the action at the scope (Azure's RBAC semantics). */
    checkAccess: (principalId: string, action: string, scope: string, options?: CheckOptions) =>
      index.checkAccess(principalId, action, scope, options),
    /** The same decision with its reason: the assignment, role and permission, or why none. */
    explain: (
      principalId: string,
      action: string,
      scope: string,
      options?: CheckOptions,
    ): AccessDecision => index.explain(principalId, action, scope, options),
    /** The permission blocks of the roles assigned to the principal at or above the scope
     * (ARM's `permissions` API). */
    permissionsAt: (principalId: string, scope: string): Permission[] =>
      index.permissionsAt(principalId, scope),
    /** The scopes at which the principal holds any role assignment (which subscriptions it
     * sees, as in ARM's GET /subscriptions). */
    scopesOf: (principalId: string): string[] => index.scopesOf(principalId),
    /** Applies one change event (idempotent). */
    apply: (event: ChangeEvent): boolean => applyEvent(index, event),
    /** Applies every event committed since the last one applied. */
    sync,
    /** Reloads the index from the store. */
    refresh,
    /** Assignments in the index (for metrics and tests). */
    get size(): number {
      return index.size
    },
    ...createRoleDefinitionOps(ctx),
    ...createRoleAssignmentOps(ctx),
    ...createDenyAssignmentOps(ctx),
  }
}

export type Authz = Awaited<ReturnType<typeof createAuthz>>
