// Microsoft.Authorization/denyAssignments at any scope (reference §4): GET (also by full id) and
// the paged list with `$filter=atScope()`, as in Azure. Keyless-specific: PUT (201) and DELETE
// (200 with the old body, or 204). Azure has no write API for deny assignments, only Azure itself
// creates them (Blueprints, managed applications); Keyless gives that power to its operator alone
// (index.ts reserves these actions for it), so an operator can fence off what roles grant.
// A deny assignment cannot be changed: delete it and create it again.
import { NotFound } from '../../domain/errors.js'
import type { DenyPrincipal } from '../../domain/rbac/types.js'
import type { Operation, OperationContext } from '../context.js'
import { pageBody, readFilter, readPageRequest } from '../paging.js'
import { validateBody } from '../schemas.js'
import { denyAssignmentPutSchema, type DenyAssignmentBody } from './schemas.js'
import type { AuthorizationTarget } from './target.js'
import { denyAssignmentJson } from './views.js'

const notFound = (name: string) =>
  new NotFound('DenyAssignmentNotFound', `The deny assignment '${name}' could not be found.`)

/** The deny assignment named by the path, if it exists at the path's scope. */
async function fetchAt(
  c: OperationContext<Extract<AuthorizationTarget, { kind: 'denyAssignment' }>>,
) {
  const found = await c.authz.getDenyAssignment(c.target.name.toLowerCase())
  return found && found.scope.toLowerCase() === c.target.scope.key ? found : undefined
}

export const putDenyAssignment: Operation<'denyAssignment'> = async (c) => {
  const { properties: p } = validateBody<DenyAssignmentBody>(c.request, denyAssignmentPutSchema)
  const created = await c.authz.createDenyAssignment(c.target.scope.id, {
    id: c.target.name,
    name: p.denyAssignmentName,
    description: p.description ?? undefined,
    permissions: p.permissions,
    // As sent: the engine validates them and defaults a missing type.
    principals: p.principals as DenyPrincipal[],
    excludePrincipals: p.excludePrincipals as DenyPrincipal[] | undefined,
    doNotApplyToChildScopes: p.doNotApplyToChildScopes === true,
  })
  return c.reply.code(201).send(denyAssignmentJson(created))
}

export const getDenyAssignment: Operation<'denyAssignment'> = async (c) => {
  const found = await fetchAt(c)
  if (!found) throw notFound(c.target.name)
  return c.reply.send(denyAssignmentJson(found))
}

export const deleteDenyAssignment: Operation<'denyAssignment'> = async (c) => {
  if (!(await fetchAt(c))) return c.reply.code(204).send()
  const deleted = await c.authz.deleteDenyAssignment(c.target.name.toLowerCase())
  if (!deleted) return c.reply.code(204).send()
  return c.reply.send(denyAssignmentJson(deleted))
}

export const listDenyAssignments: Operation<'denyAssignments'> = async (c) => {
  const filter = readFilter(c.request.query)
  const page = readPageRequest(c.request.query, { filtered: true })
  const result = await c.authz.listDenyAssignments(c.target.scope.id, filter, page)
  return c.reply.send(pageBody(c, page, result.items.map(denyAssignmentJson), result.next, filter))
}
