// Resources of every type Keyless serves (compute, user-assigned identities, plain vaults and
// storage accounts), by id: PUT 201/200, GET, PATCH 200, DELETE 200/204, HEAD 204/404, and the
// lists by group, by subscription and under a parent (reference §2, §3).
import { isKeylessError } from '../../domain/errors.js'
import type { Operation } from '../context.js'
import { pageBody, readPageRequest } from '../paging.js'
import { validateBody } from '../schemas.js'
import { resourceJson } from '../views.js'
import { bodyMappingFor } from './body-mapping.js'
import type { ResourceView } from '../../directory/views.js'
import type { OperationContext } from '../context.js'

/** The ARM view, with what the resource's data plane adds (a vault's `vaultUri`, ...). */
async function view(c: OperationContext, r: ResourceView) {
  const json = resourceJson(r)
  const extra = await c.dataPlanes?.propertiesOf(json)
  if (!extra) return json
  return { ...json, properties: { ...json.properties, ...extra } }
}

export const putResource: Operation<'resource'> = async (c) => {
  const mapping = bodyMappingFor(c.target.id.type!)
  const body = validateBody<unknown>(c.request, mapping.putSchema)
  const { resource, created } = await c.directory.putResource(c.target.id, mapping.toInput(body))
  return c.reply.code(created ? 201 : 200).send(await view(c, resource))
}

export const getResource: Operation<'resource'> = async (c) =>
  c.reply.send(await view(c, await c.directory.getResource(c.target.id)))

export const headResource: Operation<'resource'> = async (c) => {
  try {
    await c.directory.getResource(c.target.id)
  } catch (e) {
    if (isKeylessError(e) && e.status === 404) return c.reply.code(404).send()
    throw e
  }
  return c.reply.code(204).send()
}

export const patchResource: Operation<'resource'> = async (c) => {
  const mapping = bodyMappingFor(c.target.id.type!)
  const body = validateBody<unknown>(c.request, mapping.patchSchema)
  return c.reply.send(
    await view(c, await c.directory.patchResource(c.target.id, mapping.toPatch(body))),
  )
}

export const deleteResource: Operation<'resource'> = async (c) => {
  const deleted = await c.directory.deleteResource(c.target.id)
  return c.reply.code(deleted ? 200 : 204).send()
}

export const listResources: Operation<'resources'> = async (c) => {
  const t = c.target
  const page = readPageRequest(c.request.query)
  // Listing under something that does not exist is a 404 in ARM, not an empty list.
  if (t.parent) await c.directory.getResource(t.parent)
  else if (t.resourceGroup) await c.directory.getResourceGroup(t.subscriptionId, t.resourceGroup)
  else await c.directory.getSubscription(t.subscriptionId)
  const result = await c.directory.listResources(
    {
      subscriptionId: t.subscriptionId,
      resourceGroup: t.resourceGroup,
      type: t.type,
      parent: t.parent,
    },
    page,
  )
  const items = await Promise.all(result.items.map((r) => view(c, r)))
  return c.reply.send(pageBody(c, page, items, result.next))
}
