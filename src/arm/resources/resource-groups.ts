// Microsoft.Resources resource groups (reference §2): PUT 201/200, GET, PATCH, HEAD 204/404,
// DELETE 202 + Location (never 204: arm-resources throws on it), and the paged list.
import type { Tags } from '../../directory/views.js'
import { isKeylessError } from '../../domain/errors.js'
import type { Operation } from '../context.js'
import { ArmErrors } from '../errors.js'
import { pageBody, readPageRequest } from '../paging.js'
import { resourceGroupPatchSchema, resourceGroupPutSchema, validateBody } from '../schemas.js'
import { resourceGroupJson } from '../views.js'
import { operationResultUrl, operationToken } from './operation-results.js'

const nameOf = (t: { id: { resourceGroup?: string } }) => t.id.resourceGroup!

export const putResourceGroup: Operation<'resourceGroup'> = async (c) => {
  const body = validateBody<{ location: string; tags?: Tags; managedBy?: string | null }>(
    c.request,
    resourceGroupPutSchema,
  )
  const { group, created } = await c.directory.putResourceGroup(
    c.target.id.subscriptionId,
    nameOf(c.target),
    { location: body.location, tags: body.tags, managedBy: body.managedBy },
  )
  return c.reply.code(created ? 201 : 200).send(resourceGroupJson(group))
}

export const getResourceGroup: Operation<'resourceGroup'> = async (c) =>
  c.reply.send(
    resourceGroupJson(
      await c.directory.getResourceGroup(c.target.id.subscriptionId, nameOf(c.target)),
    ),
  )

export const headResourceGroup: Operation<'resourceGroup'> = async (c) => {
  try {
    await c.directory.getResourceGroup(c.target.id.subscriptionId, nameOf(c.target))
  } catch (e) {
    if (isKeylessError(e) && e.status === 404) return c.reply.code(404).send()
    throw e
  }
  return c.reply.code(204).send()
}

export const patchResourceGroup: Operation<'resourceGroup'> = async (c) => {
  const body = validateBody<{ tags?: Tags; managedBy?: string | null }>(
    c.request,
    resourceGroupPatchSchema,
  )
  const group = await c.directory.patchResourceGroup(c.target.id.subscriptionId, nameOf(c.target), {
    tags: body.tags,
    managedBy: body.managedBy,
  })
  return c.reply.send(resourceGroupJson(group))
}

export const deleteResourceGroup: Operation<'resourceGroup'> = async (c) => {
  const { subscriptionId } = c.target.id
  const deleted = await c.directory.deleteResourceGroup(subscriptionId, nameOf(c.target))
  if (!deleted) throw ArmErrors.resourceGroupNotFound(nameOf(c.target))
  const token = operationToken('resourceGroups/delete', c.target.id.id)
  return c.reply
    .code(202)
    .header('location', operationResultUrl(c.publicUrl(), subscriptionId, token, c.apiVersion))
    .header('retry-after', '0')
    .send()
}

export const listResourceGroups: Operation<'resourceGroups'> = async (c) => {
  const page = readPageRequest(c.request.query)
  const result = await c.directory.listResourceGroups(c.target.subscriptionId, page)
  return c.reply.send(pageBody(c, page, result.items.map(resourceGroupJson), result.next))
}
