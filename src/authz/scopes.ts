// An assignment needs its scope to exist: otherwise it would be an orphan from the start, and
// deleting the scope (which is what removes assignments) could never happen. Errors are the
// directory's (Azure's) for a missing subscription, group or resource.
import { NotFound } from '../domain/errors.js'
import type { Scope } from '../domain/resource-id.js'
import { lookupResourceType } from '../domain/resource-types.js'
import type { Repositories } from '../store/store.js'

export async function assertScopeExists(tx: Repositories, scope: Scope): Promise<void> {
  const s = scope.segments
  if (s.length === 0) return
  const subscription = s[1]!
  if (!(await tx.subscriptions.fetch(subscription))) {
    throw new NotFound(
      'SubscriptionNotFound',
      `The subscription '${subscription}' could not be found.`,
    )
  }
  const inGroup = s[2] === 'resourceGroups'
  if (inGroup && !(await tx.resourceGroups.fetch('/' + s.slice(0, 4).join('/')))) {
    throw new NotFound('ResourceGroupNotFound', `Resource group '${s[3]}' could not be found.`)
  }
  // Resources: the top-level one must exist, and so must nested ones of a type the directory
  // keeps (a web app's slots); below that are data scopes (containers, blobs, secrets).
  const base = inGroup ? 4 : 2
  if (s.length <= base) return
  const namespace = s[base + 1]!
  for (let depth = 1; base + 2 + 2 * depth <= s.length; depth++) {
    const types = [namespace]
    for (let d = 0; d < depth; d++) types.push(s[base + 2 + 2 * d]!)
    const type = types.join('/')
    if (depth > 1 && !lookupResourceType(type)) break
    const id = '/' + s.slice(0, base + 2 + 2 * depth).join('/')
    if (!(await tx.resources.fetch(id))) {
      const names = Array.from({ length: depth }, (_, d) => s[base + 3 + 2 * d]).join('/')
      const where = inGroup ? ` under resource group '${s[3]}'` : ''
      throw new NotFound(
        'ResourceNotFound',
        `The Resource '${type}/${names}'${where} was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      )
    }
  }
}
