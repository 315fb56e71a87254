// The logs API (common/logs-protocol.ts): sign-ins and activity, newest first or, with
// `afterSeq`, oldest first after an entry (what `keyless logs … --follow` polls), with time
// range, identity, resource and result filters and keyset paging; and the chain check of both.
// Errors in ARM's envelope, as the rest of Keyless's own API.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  ACTIVITY_LOG_API_PATH,
  LOG_VERIFY_PATH,
  READ_LOGS_ACTION,
  SIGN_IN_LOG_PATH,
} from '../common/logs-protocol.js'
import { BadRequest } from '../domain/errors.js'
import type { ActivityStatus, SignInResult } from '../domain/log-records.js'
import { renderArmError } from '../arm/envelope.js'
import type { LogEntry, LogTimeRange, Page, Store } from '../store/store.js'

export interface LogsApiOptions {
  store: Pick<Store, 'signIns' | 'activity'>
  authorizeOperator: (request: FastifyRequest, action: string) => Promise<void>
}

type Query = Record<string, string | undefined>

const invalid = (name: string, why: string) =>
  new BadRequest('InvalidQueryParameter', `the query parameter '${name}' ${why}`)

function time(q: Query, name: string): number | undefined {
  const raw = q[name]
  if (raw === undefined) return undefined
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
  if (!Number.isFinite(t)) throw invalid(name, 'must be an ISO 8601 time or epoch milliseconds')
  return t
}

function integer(q: Query, name: string): number | undefined {
  const raw = q[name]
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw)) throw invalid(name, 'must be a non-negative integer')
  return Number(raw)
}

function oneOf<T extends string>(q: Query, name: string, values: Record<string, T>) {
  const raw = q[name]
  if (raw === undefined) return undefined
  const v = values[raw.toLowerCase()]
  if (v === undefined) throw invalid(name, `must be one of ${Object.keys(values).join(', ')}`)
  return v
}

function range(q: Query): LogTimeRange {
  const since = time(q, 'since')
  const until = time(q, 'until')
  if (since !== undefined && until !== undefined && until < since) {
    throw invalid('until', "is before 'since'")
  }
  const afterSeq = integer(q, 'afterSeq')
  return { since, until, ...(afterSeq !== undefined && { afterSeq }) }
}

const RESULTS: Record<string, SignInResult> = {
  success: 'success',
  issued: 'success',
  failure: 'failure',
  refused: 'failure',
}
const STATUSES: Record<string, ActivityStatus> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  accepted: 'Accepted',
}

function view<R>(page: Page<LogEntry<R>>) {
  return {
    value: page.items.map((e) => ({ seq: e.seq, hash: e.hash, ...e.record })),
    ...(page.next && { next: page.next }),
  }
}

const pageOf = (q: Query) => ({ limit: integer(q, 'limit'), after: q.after })

export async function logsApi(app: FastifyInstance, o: LogsApiOptions): Promise<void> {
  app.setErrorHandler(renderArmError)
  app.addHook('onRequest', (request) => o.authorizeOperator(request, READ_LOGS_ACTION))

  app.get<{ Querystring: Query }>(SIGN_IN_LOG_PATH, async ({ query: q }) =>
    view(
      await o.store.signIns.list(
        {
          ...range(q),
          identity: q.identity,
          resource: q.resource,
          result: oneOf(q, 'result', RESULTS),
          hostId: q.hostId,
        },
        pageOf(q),
      ),
    ),
  )

  app.get<{ Querystring: Query }>(ACTIVITY_LOG_API_PATH, async ({ query: q }) =>
    view(
      await o.store.activity.list(
        {
          ...range(q),
          subscriptionId: q.subscriptionId,
          resourceGroupName: q.resourceGroupName,
          resourceUri: q.resourceUri,
          correlationId: q.correlationId,
          caller: q.identity ?? q.caller,
          status: oneOf(q, 'result', STATUSES) ?? oneOf(q, 'status', STATUSES),
        },
        pageOf(q),
      ),
    ),
  )

  app.get(LOG_VERIFY_PATH, async () => ({
    signIns: await o.store.signIns.verify(),
    activity: await o.store.activity.verify(),
  }))
}
