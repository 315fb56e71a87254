// Microsoft.Authorization/roleDefinitions at any scope (reference §4): PUT 201 (on update too:
// arm-authorization's createOrUpdate accepts nothing else, checklist 4), GET (also by full id,
// tenant form included), DELETE 200 with the old body or 204, and the list with `$filter`
// (`roleName eq`, `type eq`, `atScopeAndBelow()`). The RBAC engine owns the rules and errors:
// built-ins are read-only, a role in use cannot be deleted.
import { roleDefinitionNotFound } from '../../authz/index.js'
import type { Operation } from '../context.js'
import { listBody, readFilter } from '../paging.js'
import { validateBody } from '../schemas.js'
import { roleDefinitionPutSchema } from './schemas.js'
import { roleDefinitionJson } from './views.js'

export const putRoleDefinition: Operation<'roleDefinition'> = async (c) => {
  const body = validateBody<{ properties: unknown }>(c.request, roleDefinitionPutSchema)
  const { scope, name } = c.target
  const { definition } = await c.authz.putRoleDefinition(scope.id, name, body.properties)
  return c.reply.code(201).send(roleDefinitionJson(scope, definition))
}

export const getRoleDefinition: Operation<'roleDefinition'> = async (c) => {
  const definition = await c.authz.getRoleDefinition(c.target.name)
  if (!definition) throw roleDefinitionNotFound(c.target.name)
  return c.reply.send(roleDefinitionJson(c.target.scope, definition))
}

export const deleteRoleDefinition: Operation<'roleDefinition'> = async (c) => {
  const deleted = await c.authz.deleteRoleDefinition(c.target.name)
  if (!deleted) return c.reply.code(204).send()
  return c.reply.send(roleDefinitionJson(c.target.scope, deleted))
}

/** Every definition available at the scope, in one page (built-ins plus a tenant's custom
 * roles: never many). */
export const listRoleDefinitions: Operation<'roleDefinitions'> = async (c) => {
  const { scope } = c.target
  const definitions = await c.authz.listRoleDefinitions(scope.id, readFilter(c.request.query))
  return c.reply.send(
    listBody(
      definitions.map((d) => roleDefinitionJson(scope, d)),
      undefined,
    ),
  )
}
