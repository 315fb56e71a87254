// Operator-managed deny assignments (Microsoft.Authorization/denyAssignments). Azure only lets
// Azure itself create them (ARM exposes them read-only, reference §4); Keyless lets the operator
// create and delete them through these operations, and ARM serves them read-only as Azure does.
import { randomUUID } from 'node:crypto'
import { BadRequest, Conflict } from '../domain/errors.js'
import { RBAC_EVENTS, type DenyAssignmentEventData } from '../domain/rbac/events.js'
import { validatePermissionBlock } from '../domain/rbac/role-definition.js'
import { isGuid } from '../domain/rbac/role-ids.js'
import { ancestorKeys } from '../domain/rbac/scope-path.js'
import { EVERYONE, type DenyPrincipal } from '../domain/rbac/types.js'
import { parseScope } from '../domain/resource-id.js'
import type { Page, PageRequest } from '../store/store.js'
import type { OpsContext } from './context.js'
import { denyAssignmentView, type DenyAssignmentView } from './rows.js'
import { assertScopeExists } from './scopes.js'

export interface DenyAssignmentInput {
  /** A GUID; generated when absent. */
  id?: string
  name: string
  description?: string
  permissions: unknown[]
  /** Who is denied; `00000000-0000-0000-0000-000000000000` (type SystemDefined) is everyone. */
  principals: DenyPrincipal[]
  excludePrincipals?: DenyPrincipal[]
  doNotApplyToChildScopes?: boolean
}

const invalid = (message: string) => new BadRequest('InvalidDenyAssignment', message)

function principals(value: unknown, field: string, required: boolean): DenyPrincipal[] {
  if (value === undefined && !required) return []
  if (!Array.isArray(value) || (required && value.length === 0)) {
    throw invalid(`${field} must be a non-empty array of {id, type}`)
  }
  return value.map((p: { id?: unknown; type?: unknown }) => {
    if (!isGuid(p?.id)) throw invalid(`${field} must hold principal ids (GUIDs)`)
    const id = p.id.toLowerCase()
    const type =
      typeof p.type === 'string' ? p.type : id === EVERYONE ? 'SystemDefined' : 'ServicePrincipal'
    return { id, type }
  })
}

export function createDenyAssignmentOps(ctx: OpsContext) {
  const { store, clock } = ctx
  return {
    async createDenyAssignment(
      scopeRaw: string,
      input: DenyAssignmentInput,
    ): Promise<DenyAssignmentView> {
      const scope = parseScope(scopeRaw)
      const id = (input.id ?? randomUUID()).toLowerCase()
      if (!isGuid(id)) throw invalid('the deny assignment id must be a GUID')
      if (typeof input.name !== 'string' || input.name.trim() === '')
        throw invalid('a deny assignment needs a name')
      if (!Array.isArray(input.permissions) || input.permissions.length === 0) {
        throw invalid('permissions must be a non-empty array')
      }
      const data: DenyAssignmentEventData = {
        name: input.name.trim(),
        scope: scope.id,
        permissions: input.permissions.map(validatePermissionBlock),
        principals: principals(input.principals, 'principals', true),
        excludePrincipals: principals(input.excludePrincipals, 'excludePrincipals', false),
        doNotApplyToChildScopes: input.doNotApplyToChildScopes === true,
      }
      const view = await store.transaction(async (tx) => {
        if (await tx.denyAssignments.fetch(id)) {
          throw new Conflict('DenyAssignmentExists', `The deny assignment '${id}' already exists.`)
        }
        await assertScopeExists(tx, scope)
        const now = clock.now()
        await tx.denyAssignments.create({
          id,
          name: data.name,
          scope: scope.id,
          scope_key: scope.key,
          description: input.description ?? '',
          permissions: JSON.stringify(data.permissions),
          principals: JSON.stringify(data.principals),
          exclude_principals: JSON.stringify(data.excludePrincipals),
          do_not_apply_to_child_scopes: data.doNotApplyToChildScopes ? 1 : 0,
          created_at: now,
        })
        await tx.events.append({
          at: now,
          kind: RBAC_EVENTS.denyAssignmentCreated,
          subject: id,
          data: JSON.stringify(data),
        })
        return denyAssignmentView((await tx.denyAssignments.fetch(id))!)
      })
      await ctx.sync()
      return view
    },

    async getDenyAssignment(id: string): Promise<DenyAssignmentView | undefined> {
      const row = isGuid(id) ? await store.denyAssignments.fetch(id) : undefined
      return row && denyAssignmentView(row)
    },

    async deleteDenyAssignment(id: string): Promise<DenyAssignmentView | undefined> {
      if (!isGuid(id)) return undefined
      const deleted = await store.transaction(async (tx) => {
        const row = await tx.denyAssignments.fetch(id)
        if (!row) return undefined
        await tx.denyAssignments.delete(id)
        await tx.events.append({
          at: clock.now(),
          kind: RBAC_EVENTS.denyAssignmentDeleted,
          subject: row.id,
          data: JSON.stringify({ scope: row.scope }),
        })
        return denyAssignmentView(row)
      })
      await ctx.sync()
      return deleted
    },

    /** Deny assignments at, above and below a scope (`atScope()`: at or above only). */
    async listDenyAssignments(
      scope: string,
      filter?: string,
      page?: PageRequest,
    ): Promise<Page<DenyAssignmentView>> {
      const key = parseScope(scope).key
      const atScope =
        filter !== undefined && /^\s*atScope\(\s*\)\s*$/i.test(filter.replace(/\+/g, ' '))
      if (filter !== undefined && !atScope) {
        throw new BadRequest('InvalidFilter', `The filter '${filter}' is not supported.`)
      }
      const result = await store.denyAssignments.list(
        { scopeKeys: ancestorKeys(key), ...(atScope ? {} : { below: key }) },
        page,
      )
      return { items: result.items.map(denyAssignmentView), next: result.next }
    },
  }
}
