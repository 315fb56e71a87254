// Custom role definitions (Microsoft.Authorization/roleDefinitions). Built-in roles are read-only
// and served from code. Codes: RoleDefinitionExists (409, PUT of a built-in's GUID) and
// RoleDefinitionWithSameNameExists (409) as Azure's SDK tests assert; RoleDefinitionHasAssignments
// (409) for a role in use, as Azure's custom-roles doc quotes it.
import { BadRequest, Conflict, Forbidden, NotFound } from '../domain/errors.js'
import {
  BUILT_IN_ROLES,
  findBuiltInRole,
  findBuiltInRoleByName,
} from '../domain/rbac/built-in-roles.js'
import { RBAC_EVENTS, type RoleDefinitionEventData } from '../domain/rbac/events.js'
import { validateCustomRoleDefinition } from '../domain/rbac/role-definition.js'
import { isGuid } from '../domain/rbac/role-ids.js'
import { ancestorKeys, scopeKeyOf } from '../domain/rbac/scope-path.js'
import { isScopeWithin, parseScope } from '../domain/resource-id.js'
import type { Repositories } from '../store/store.js'
import type { OpsContext } from './context.js'
import { parseDefinitionFilter } from './filters.js'
import { roleDefinitionFromRow, type RoleDefinitionView } from './rows.js'

export function roleDefinitionNotFound(id: string): NotFound {
  return new NotFound(
    'RoleDefinitionDoesNotExist',
    `The specified role definition with ID '${id}' does not exist.`,
  )
}

function definitionGuid(id: string): string {
  if (!isGuid(id)) {
    throw new BadRequest('InvalidRoleDefinitionId', `The role definition ID '${id}' is not valid.`)
  }
  return id.toLowerCase()
}

async function allCustom(tx: Repositories): Promise<RoleDefinitionView[]> {
  const out: RoleDefinitionView[] = []
  let after: string | undefined
  do {
    const page = await tx.roleDefinitions.list({ limit: 1000, after })
    out.push(...page.items.map(roleDefinitionFromRow))
    after = page.next
  } while (after)
  return out
}

/** A role definition by GUID: built-in or custom. */
export async function fetchRoleDefinition(
  tx: Repositories,
  id: string,
): Promise<RoleDefinitionView | undefined> {
  const builtIn = findBuiltInRole(id)
  if (builtIn) return builtIn
  const row = await tx.roleDefinitions.fetch(id)
  return row && roleDefinitionFromRow(row)
}

export function createRoleDefinitionOps(ctx: OpsContext) {
  const { store, clock } = ctx

  async function put(
    scope: string,
    id: string,
    properties: unknown,
    mode: 'put' | 'create' | 'update',
  ) {
    const guid = definitionGuid(id)
    const definedAt = scopeKeyOf(scope)
    if (findBuiltInRole(guid)) {
      throw new Conflict(
        'RoleDefinitionExists',
        `A built-in role definition with ID '${guid}' already exists.`,
      )
    }
    const input = validateCustomRoleDefinition(properties)
    const result = await store.transaction(async (tx) => {
      const existing = await tx.roleDefinitions.fetch(guid)
      if (existing && mode === 'create') {
        throw new Conflict(
          'RoleDefinitionExists',
          `A role definition with ID '${guid}' already exists.`,
        )
      }
      if (!existing && mode === 'update') throw roleDefinitionNotFound(guid)
      const sameName = await tx.roleDefinitions.fetchByName(input.roleName)
      if (findBuiltInRoleByName(input.roleName) || (sameName && sameName.id !== guid)) {
        throw new Conflict(
          'RoleDefinitionWithSameNameExists',
          'A custom role with the same name already exists in this directory.',
        )
      }
      if (existing) await assertAssignmentsStayAssignable(tx, guid, input.assignableScopes)
      const now = clock.now()
      const fields = {
        role_name: input.roleName,
        description: input.description,
        permissions: JSON.stringify(input.permissions),
        assignable_scopes: JSON.stringify(input.assignableScopes),
        updated_at: now,
      }
      if (existing) await tx.roleDefinitions.update(guid, fields)
      else {
        await tx.roleDefinitions.create({
          id: guid,
          scope: definedAt,
          type: 'CustomRole',
          created_at: now,
          ...fields,
        })
      }
      const data: RoleDefinitionEventData = { ...input }
      await tx.events.append({
        at: now,
        kind: existing ? RBAC_EVENTS.roleDefinitionUpdated : RBAC_EVENTS.roleDefinitionCreated,
        subject: guid,
        data: JSON.stringify(data),
      })
      return {
        definition: roleDefinitionFromRow((await tx.roleDefinitions.fetch(guid))!),
        created: !existing,
      }
    })
    await ctx.sync()
    return result
  }

  return {
    /** A role definition by GUID (or full id's trailing GUID); undefined when unknown. */
    async getRoleDefinition(id: string): Promise<RoleDefinitionView | undefined> {
      const guid = id.slice(id.lastIndexOf('/') + 1)
      return isGuid(guid) ? fetchRoleDefinition(store, guid) : undefined
    },

    /** Definitions available at a scope: built-ins, and custom roles assignable at or above it
     * (or below it too with `atScopeAndBelow()`), filtered by `roleName eq` / `type eq`. */
    async listRoleDefinitions(scope: string, filter?: string): Promise<RoleDefinitionView[]> {
      const f = parseDefinitionFilter(filter)
      const key = scopeKeyOf(scope)
      const above = new Set(ancestorKeys(key))
      const custom = (await allCustom(store)).filter((d) =>
        d.assignableScopes.some((s) => {
          const k = scopeKeyOf(s)
          return above.has(k) || (f.atScopeAndBelow && isScopeWithin(k, key))
        }),
      )
      return [...BUILT_IN_ROLES, ...custom].filter(
        (d) =>
          (f.type === undefined || d.type === f.type) &&
          (f.roleName === undefined || d.roleName.toLowerCase() === f.roleName.toLowerCase()),
      )
    },

    /** ARM's PUT: creates or replaces a custom role. */
    putRoleDefinition: (scope: string, id: string, properties: unknown) =>
      put(scope, id, properties, 'put'),
    createRoleDefinition: async (scope: string, id: string, properties: unknown) =>
      (await put(scope, id, properties, 'create')).definition,
    updateRoleDefinition: async (scope: string, id: string, properties: unknown) =>
      (await put(scope, id, properties, 'update')).definition,

    /** Deletes a custom role; undefined when it did not exist. A role in use cannot be deleted. */
    async deleteRoleDefinition(id: string): Promise<RoleDefinitionView | undefined> {
      const guid = definitionGuid(id)
      const builtIn = findBuiltInRole(guid)
      if (builtIn) {
        throw new Forbidden(
          'BuiltInRoleNotModifiable',
          `The built-in role '${builtIn.roleName}' cannot be modified or deleted.`,
        )
      }
      const deleted = await store.transaction(async (tx) => {
        const row = await tx.roleDefinitions.fetch(guid)
        if (!row) return undefined
        if ((await tx.roleAssignments.count({ roleDefinitionId: guid })) > 0) {
          throw new Conflict(
            'RoleDefinitionHasAssignments',
            'There are existing role assignments referencing role (code: RoleDefinitionHasAssignments).',
          )
        }
        await tx.roleDefinitions.delete(guid)
        await tx.events.append({
          at: clock.now(),
          kind: RBAC_EVENTS.roleDefinitionDeleted,
          subject: guid,
          data: '{}',
        })
        return roleDefinitionFromRow(row)
      })
      await ctx.sync()
      return deleted
    },
  }
}

/** Narrowing a role's assignable scopes must not strand an assignment outside them. */
async function assertAssignmentsStayAssignable(
  tx: Repositories,
  guid: string,
  assignableScopes: string[],
): Promise<void> {
  const keys = assignableScopes.map((s) => parseScope(s).key)
  let after: string | undefined
  do {
    const page = await tx.roleAssignments.list({ roleDefinitionId: guid }, { limit: 1000, after })
    for (const a of page.items) {
      if (!keys.some((k) => isScopeWithin(a.scope_key, k))) {
        throw new Conflict(
          'RoleDefinitionHasAssignments',
          `There are existing role assignments referencing role outside its new assignable scopes (at '${a.scope}').`,
        )
      }
    }
    after = page.next
  } while (after)
}
