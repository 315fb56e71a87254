// GET {resourceId}/providers/Microsoft.ManagedIdentity/identities/default: a resource's
// system-assigned identity (arm-msi `systemAssignedIdentities.getByScope`), 404 when it has none.
import type { Operation } from '../context.js'
import { systemIdentityJson } from '../views.js'

export const getSystemIdentity: Operation<'systemIdentity'> = async (c) => {
  const resource = await c.directory.getResource(c.target.resource)
  const identity = await c.directory.getSystemIdentity(c.target.resource)
  return c.reply.send(systemIdentityJson(resource, identity))
}
