// Microsoft.Resources subscriptions and tenants: GET /subscriptions, GET /subscriptions/{id} and
// GET /tenants, the tenant-level reads `az login` makes. Any signed-in caller may ask; it is
// answered with what it may see (domain/rbac/subscription-visibility.ts), as ARM does.
import { seesSubscription } from '../../domain/rbac/subscription-visibility.js'
import { authorizationFailed } from '../authorize.js'
import type { Operation, OperationContext } from '../context.js'
import { listBody } from '../paging.js'
import { subscriptionJson } from '../views.js'

const visibleTo = (o: OperationContext) => {
  const scopes = o.authz.scopesOf(o.caller.objectId)
  return (subscriptionId: string) => seesSubscription(scopes, subscriptionId)
}

export const listSubscriptions: Operation<'subscriptions'> = async (o) => {
  const sees = visibleTo(o)
  const all = await o.directory.listSubscriptions()
  return o.reply.send(
    listBody(all.filter((s) => sees(s.subscriptionId)).map(subscriptionJson), undefined),
  )
}

export const getSubscription: Operation<'subscription'> = async (o) => {
  const { subscriptionId } = o.target
  if (!visibleTo(o)(subscriptionId)) {
    const scope = `/subscriptions/${subscriptionId}`
    throw authorizationFailed(o.caller, { action: 'Microsoft.Resources/subscriptions/read', scope })
  }
  return o.reply.send(subscriptionJson(await o.directory.getSubscription(subscriptionId)))
}

/** The one tenant, in ARM's shape: every caller signed in here belongs to it. */
export const listTenants: Operation<'tenants'> = async ({ caller, reply }) =>
  reply.send(
    listBody(
      [
        {
          id: `/tenants/${caller.tenantId}`,
          tenantId: caller.tenantId,
          tenantCategory: 'Home',
          displayName: 'Keyless',
          defaultDomain: 'keyless.local',
          domains: ['keyless.local'],
        },
      ],
      undefined,
    ),
  )
