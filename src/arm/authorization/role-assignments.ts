// Microsoft.Authorization/roleAssignments at any scope (reference §4): PUT 201/200, GET (also by
// full id), DELETE 200 with the old body or 204, and the paged list with `$filter` (`atScope()`,
// `principalId eq`, `assignedTo()`). The RBAC engine owns the rules and Azure's errors
// (RoleAssignmentExists, PrincipalNotFound, RoleDefinitionDoesNotExist, InvalidRoleAssignmentId).
import { NotFound } from '../../domain/errors.js'
import type { Operation } from '../context.js'
import { pageBody, readFilter, readPageRequest } from '../paging.js'
import { validateBody } from '../schemas.js'
import { roleAssignmentPutSchema, type RoleAssignmentBody } from './schemas.js'
import { roleAssignmentJson } from './views.js'

const notFound = (name: string) =>
  new NotFound('RoleAssignmentNotFound', `The role assignment '${name}' is not found.`)

export const putRoleAssignment: Operation<'roleAssignment'> = async (c) => {
  const { properties: p } = validateBody<RoleAssignmentBody>(c.request, roleAssignmentPutSchema)
  const { assignment, created } = await c.authz.createRoleAssignment(
    c.target.scope.id,
    c.target.name,
    {
      roleDefinitionId: p.roleDefinitionId,
      principalId: p.principalId,
      principalType: p.principalType,
      description: p.description,
      condition: p.condition,
      conditionVersion: p.conditionVersion,
    },
    c.caller.objectId,
  )
  return c.reply.code(created ? 201 : 200).send(roleAssignmentJson(assignment))
}

export const getRoleAssignment: Operation<'roleAssignment'> = async (c) => {
  const assignment = await c.authz.getRoleAssignment(c.target.scope.id, c.target.name)
  if (!assignment) throw notFound(c.target.name)
  return c.reply.send(roleAssignmentJson(assignment))
}

export const deleteRoleAssignment: Operation<'roleAssignment'> = async (c) => {
  const deleted = await c.authz.deleteRoleAssignment(c.target.scope.id, c.target.name)
  if (!deleted) return c.reply.code(204).send()
  return c.reply.send(roleAssignmentJson(deleted))
}

export const listRoleAssignments: Operation<'roleAssignments'> = async (c) => {
  const filter = readFilter(c.request.query)
  const page = readPageRequest(c.request.query, { filtered: true })
  const result = await c.authz.listRoleAssignments(c.target.scope.id, filter, page)
  return c.reply.send(pageBody(c, page, result.items.map(roleAssignmentJson), result.next, filter))
}
