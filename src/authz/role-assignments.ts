// Role assignments (Microsoft.Authorization/roleAssignments) with Azure's errors:
// InvalidRoleAssignmentId, RoleAssignmentExists, RoleAssignmentUpdateNotPermitted,
// PrincipalNotFound, UnmatchedPrincipalType, RoleDefinitionDoesNotExist (reference §4).
import { BadRequest, Conflict, isKeylessError } from '../domain/errors.js'
import { RBAC_EVENTS, roleAssignmentEventData } from '../domain/rbac/events.js'
import { isGuid, roleAssignmentGuid, roleDefinitionGuid } from '../domain/rbac/role-ids.js'
import { ancestorKeys } from '../domain/rbac/scope-path.js'
import { isScopeWithin, parseScope } from '../domain/resource-id.js'
import type { RoleAssignmentRow } from '../store/schema.js'
import type { Page, PageRequest, Repositories } from '../store/store.js'
import { ROLE_ASSIGNMENT_UPDATED } from './apply-event.js'
import type { OpsContext } from './context.js'
import { parseAssignmentFilter } from './filters.js'
import { fetchRoleDefinition } from './role-definitions.js'
import { roleAssignmentView, type RoleAssignmentView } from './rows.js'
import { assertScopeExists } from './scopes.js'

export interface RoleAssignmentInput {
  /** A role definition GUID or full id. */
  roleDefinitionId: string
  principalId: string
  /** User, Group, ServicePrincipal, ForeignGroup or Device; defaults to the principal's. */
  principalType?: string | null
  description?: string | null
  condition?: string | null
  conditionVersion?: string | null
}

// Every Keyless principal is a service principal (managed identities and the operator).
const PRINCIPAL_TYPE = 'ServicePrincipal'

function principalNotFound(principalId: string, tenantId: string): BadRequest {
  return new BadRequest(
    'PrincipalNotFound',
    `Principal ${principalId} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
  )
}

const exists = () => new Conflict('RoleAssignmentExists', 'The role assignment already exists.')

function condition(input: RoleAssignmentInput) {
  const text = input.condition || null
  const version = text ? (input.conditionVersion ?? '2.0') : null
  if (version !== null && version !== '2.0') {
    throw new BadRequest(
      'InvalidConditionVersion',
      `The condition version '${version}' is not supported; use '2.0'.`,
    )
  }
  return { condition: text, condition_version: version }
}

export function createRoleAssignmentOps(ctx: OpsContext) {
  const { store, clock } = ctx

  async function checkedRow(tx: Repositories, scopeRaw: string, input: RoleAssignmentInput) {
    const scope = parseScope(scopeRaw)
    const roleId = roleDefinitionGuid(input.roleDefinitionId)
    const principalId = String(input.principalId ?? '').toLowerCase()
    if (!isGuid(principalId)) {
      throw new BadRequest(
        'InvalidPrincipalId',
        'A valid principal ID must be provided for role assignment.',
      )
    }
    const role = await fetchRoleDefinition(tx, roleId)
    if (!role) {
      throw new BadRequest(
        'RoleDefinitionDoesNotExist',
        `The specified role definition with ID '${roleId}' does not exist.`,
      )
    }
    if (!role.assignableScopes.some((s) => isScopeWithin(scope.key, parseScope(s).key))) {
      throw new BadRequest(
        'ScopeDoesNotMatchRoleDefinition',
        `The role definition '${roleId}' is not available for assignment at the requested scope '${scope.id}'.`,
      )
    }
    if (!(await tx.principals.fetch(principalId)))
      throw principalNotFound(principalId, await ctx.tenantId(tx))
    if (input.principalType && input.principalType.toLowerCase() !== PRINCIPAL_TYPE.toLowerCase()) {
      // Azure's own message, its misspelt "PrinciaplType" included (clients match on it).
      throw new BadRequest(
        'UnmatchedPrincipalType',
        `The PrincipalId '${principalId}' has type '${PRINCIPAL_TYPE}' , which is different from specified PrinciaplType '${input.principalType}'.`,
      )
    }
    await assertScopeExists(tx, scope)
    return { scope, roleId, principalId }
  }

  return {
    /** ARM's PUT: creates the assignment, or updates its description and condition. */
    async createRoleAssignment(
      scopeRaw: string,
      nameRaw: string,
      input: RoleAssignmentInput,
      actor?: string,
    ): Promise<{ assignment: RoleAssignmentView; created: boolean }> {
      const name = roleAssignmentGuid(nameRaw)
      let result
      try {
        result = await store.transaction(async (tx) => {
          const { scope, roleId, principalId } = await checkedRow(tx, scopeRaw, input)
          const now = clock.now()
          const existing = await tx.roleAssignments.fetch(name)
          if (existing) {
            if (
              existing.scope_key !== scope.key ||
              existing.principal_id !== principalId ||
              existing.role_definition_id !== roleId
            ) {
              throw new Conflict(
                'RoleAssignmentUpdateNotPermitted',
                'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
              )
            }
            await tx.roleAssignments.update(name, {
              description: input.description ?? null,
              ...condition(input),
              updated_at: now,
            })
          } else {
            const twin = await tx.roleAssignments.list(
              { principalId, roleDefinitionId: roleId, scopeKeys: [scope.key] },
              { limit: 1 },
            )
            if (twin.items.length > 0) throw exists()
            const row: RoleAssignmentRow = {
              name,
              scope: scope.id,
              scope_key: scope.key,
              role_definition_id: roleId,
              principal_id: principalId,
              principal_type: PRINCIPAL_TYPE,
              description: input.description ?? null,
              ...condition(input),
              created_at: now,
              updated_at: now,
              created_by: actor ?? null,
            }
            await tx.roleAssignments.create(row)
          }
          const row = (await tx.roleAssignments.fetch(name))!
          await tx.events.append({
            at: now,
            kind: existing ? ROLE_ASSIGNMENT_UPDATED : RBAC_EVENTS.roleAssignmentCreated,
            subject: name,
            data: JSON.stringify(roleAssignmentEventData(row)),
          })
          return { assignment: roleAssignmentView(row), created: !existing }
        })
      } catch (error) {
        // Two writers racing past the checks meet at the unique constraint.
        if (isKeylessError(error) && error.code === 'Conflict' && /same key/.test(error.message)) {
          throw exists()
        }
        throw error
      }
      await ctx.sync()
      return result
    },

    /** The assignment with this name at this scope; undefined when absent or elsewhere. */
    async getRoleAssignment(scope: string, name: string): Promise<RoleAssignmentView | undefined> {
      const row = await store.roleAssignments.fetch(roleAssignmentGuid(name))
      return row && row.scope_key === parseScope(scope).key ? roleAssignmentView(row) : undefined
    },

    /** Deletes it; undefined when it did not exist at this scope (ARM answers 204). */
    async deleteRoleAssignment(
      scope: string,
      name: string,
    ): Promise<RoleAssignmentView | undefined> {
      const key = parseScope(scope).key
      const guid = roleAssignmentGuid(name)
      const deleted = await store.transaction(async (tx) => {
        const row = await tx.roleAssignments.fetch(guid)
        if (!row || row.scope_key !== key) return undefined
        await tx.roleAssignments.delete(guid)
        await tx.events.append({
          at: clock.now(),
          kind: RBAC_EVENTS.roleAssignmentDeleted,
          subject: guid,
          data: JSON.stringify(roleAssignmentEventData(row)),
        })
        return roleAssignmentView(row)
      })
      await ctx.sync()
      return deleted
    },

    /**
     * Assignments that apply at a scope: at, above and below it; with `atScope()` at or above it
     * only; `principalId eq '…'` / `assignedTo('…')` narrow to one principal.
     */
    async listRoleAssignments(
      scope: string,
      filter?: string,
      page?: PageRequest,
    ): Promise<Page<RoleAssignmentView>> {
      const f = parseAssignmentFilter(filter)
      const key = parseScope(scope).key
      const result = await store.roleAssignments.list(
        {
          scopeKeys: ancestorKeys(key),
          ...(f.atScope ? {} : { below: key }),
          ...(f.principalId ? { principalId: f.principalId } : {}),
        },
        page,
      )
      return { items: result.items.map(roleAssignmentView), next: result.next }
    },
  }
}
