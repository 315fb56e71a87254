// A compute resource's identity, read from the store: the principal it owns (system-assigned)
// and its attachments (user-assigned). The type is derived, never stored, so it cannot drift.
import { deserializeSelectors } from '../domain/process-selectors.js'
import { identityTypeOf, type IdentityState } from '../domain/identity-lifecycle.js'
import type { ResourceRow } from '../store/schema.js'
import type { Repositories } from '../store/store.js'
import type { IdentityView, UserAssignedView } from './views.js'

export async function loadIdentityState(
  tx: Repositories,
  resourceKey: string,
): Promise<IdentityState> {
  const [owned, attachments] = await Promise.all([
    tx.principals.fetchByResource(resourceKey),
    tx.attachments.listByResource(resourceKey),
  ])
  return {
    system: owned?.identity_kind === 'SystemAssigned',
    userAssigned: attachments.map((a) => a.identity_key),
  }
}

export async function identityView(
  tx: Repositories,
  row: ResourceRow,
  tenantId: string,
): Promise<IdentityView | undefined> {
  const [owned, attachments] = await Promise.all([
    tx.principals.fetchByResource(row.key),
    tx.attachments.listByResource(row.key),
  ])
  const system = owned?.identity_kind === 'SystemAssigned' ? owned : undefined
  const state = {
    system: system !== undefined,
    userAssigned: attachments.map((a) => a.identity_key),
  }
  const type = identityTypeOf(state)
  if (type === 'None') return undefined
  const view: IdentityView = { type }
  if (system) {
    view.principalId = system.object_id
    view.tenantId = tenantId
    const selectors = deserializeSelectors(row.identity_selectors)
    if (selectors) view.selectors = selectors
  }
  if (attachments.length) {
    const entries = await Promise.all(
      attachments.map(async (a): Promise<[string, UserAssignedView]> => {
        const [identity, principal] = await Promise.all([
          tx.resources.fetch(a.identity_key),
          tx.principals.fetchByResource(a.identity_key),
        ])
        const selectors = deserializeSelectors(a.selectors)
        const view = { principalId: principal!.object_id, clientId: principal!.app_id }
        return [identity!.id, selectors ? { ...view, selectors } : view]
      }),
    )
    view.userAssignedIdentities = Object.fromEntries(entries)
  }
  return view
}
