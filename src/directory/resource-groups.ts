// Resource groups. Deleting one deletes everything in it, each resource with the consequences of
// its type, in the caller's single transaction.
import { NotFound } from '../domain/errors.js'
import type { ResourceRow } from '../store/schema.js'
import type { Repositories } from '../store/store.js'
import { recordChange } from './events.js'
import type { ChangeContext } from './change-context.js'
import { deleteResourceRow } from './resources.js'
import { deleteRoleAssignmentsAtOrBelow } from './role-assignments.js'

export function groupKey(subscriptionId: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${name}`.toLowerCase()
}

export function groupNotFound(name: string): NotFound {
  return new NotFound('ResourceGroupNotFound', `Resource group '${name}' could not be found.`)
}

async function resourcesIn(tx: Repositories, key: string): Promise<ResourceRow[]> {
  const out: ResourceRow[] = []
  let after: string | undefined
  do {
    const page = await tx.resources.list({ groupKey: key }, { limit: 1000, after })
    out.push(...page.items)
    after = page.next
  } while (after)
  return out
}

export async function deleteGroup(ctx: ChangeContext, key: string): Promise<boolean> {
  const { tx, now } = ctx
  const group = await tx.resourceGroups.fetch(key)
  if (!group) return false
  // Top-level resources only: each deletes its own children (a site its slots).
  const all = await resourcesIn(tx, key)
  for (const row of all.filter((r) => r.parent_key === null)) {
    if (await tx.resources.fetch(row.key)) await deleteResourceRow(ctx, row)
  }
  await deleteRoleAssignmentsAtOrBelow(ctx, key)
  await tx.resourceGroups.delete(key)
  await recordChange(tx, now, 'resourceGroup.deleted', key, { id: group.id })
  return true
}
