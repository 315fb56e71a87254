// Microsoft.Resources subscriptions: GET /subscriptions and GET /subscriptions/{id}.
import type { Operation } from '../context.js'
import { listBody } from '../paging.js'
import { subscriptionJson } from '../views.js'

export const listSubscriptions: Operation<'subscriptions'> = async ({ directory, reply }) =>
  reply.send(listBody((await directory.listSubscriptions()).map(subscriptionJson), undefined))

export const getSubscription: Operation<'subscription'> = async ({ directory, reply, target }) =>
  reply.send(subscriptionJson(await directory.getSubscription(target.subscriptionId)))
