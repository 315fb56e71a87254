// GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values: the
// activity log in Azure Monitor's REST shape (api-version 2015-04-01), newest first, paged with
// `nextLink`, so that `@azure/arm-monitor`'s `activityLogs.list(filter)` reads it. Reading needs
// `Microsoft.Insights/eventtypes/values/read` at the subscription (Reader has it through
// `*/read`).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ActivityStore } from '../../store/store.js'
import { ArmErrors } from '../errors.js'
import { authorize, type CheckAccess } from '../authorize.js'
import type { Caller } from '../authenticate.js'
import type { PublicUrl } from '../../common/public-url.js'
import { parseActivityFilter } from './activity-filter.js'
import { eventData } from './event-data.js'

export const ACTIVITY_LOG_PATH =
  '/subscriptions/:subscriptionId/providers/Microsoft.Insights/eventtypes/management/values'
const API_VERSION = '2015-04-01'
export const READ_ACTIVITY = 'Microsoft.Insights/eventtypes/values/read'
const PAGE = 200

export interface ActivityLogsOptions {
  store: Pick<ActivityStore, 'list'>
  tenantId: string
  publicUrl: PublicUrl
  checkAccess: CheckAccess
  callerOf: (request: FastifyRequest) => Caller
}

interface Query {
  'api-version'?: string
  $filter?: string
  $skipToken?: string
}

export function registerActivityLogs(app: FastifyInstance, o: ActivityLogsOptions): void {
  app.get<{ Params: { subscriptionId: string }; Querystring: Query }>(
    ACTIVITY_LOG_PATH,
    async (request) => {
      const { subscriptionId } = request.params
      const version = request.query['api-version']
      if (version === undefined) throw ArmErrors.missingApiVersion()
      if (version !== API_VERSION) {
        throw ArmErrors.invalidApiVersion(version, [API_VERSION], API_VERSION)
      }
      const scope = `/subscriptions/${subscriptionId}`
      await authorize(
        o.callerOf(request),
        { primary: { action: READ_ACTIVITY, scope }, linked: [] },
        o.checkAccess,
      )
      const filter = parseActivityFilter(request.query.$filter)
      const page = await o.store.list(
        { ...filter, subscriptionId },
        { limit: PAGE, after: request.query.$skipToken },
      )
      const next = new URL(`${o.publicUrl()}${request.url}`)
      if (page.next) next.searchParams.set('$skipToken', page.next)
      return {
        value: page.items.map((e) => eventData(e.record, o.tenantId)),
        ...(page.next && { nextLink: next.toString() }),
      }
    },
  )
}
