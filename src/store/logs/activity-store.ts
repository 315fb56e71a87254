// The activity log: one entry per control-plane write, refused ones included
// (domain/log-records.ts).
import type { Kysely } from 'kysely'
import type { ActivityRecord, ActivityStatus } from '../../domain/log-records.js'
import type { Database } from '../schema.js'
import type { StoreCapabilities } from '../store.js'
import { createChainedLogStore, type ChainedLogStore } from './chained-log-store.js'

/** Azure's `$filter` terms (each compared in any casing), plus Keyless's caller and status. */
export interface ActivityFilter {
  subscriptionId?: string
  resourceGroupName?: string
  /** The resource id (scope) of the operation, exactly. */
  resourceUri?: string
  correlationId?: string
  caller?: string
  status?: ActivityStatus
}

export type ActivityStore = ChainedLogStore<ActivityRecord, ActivityFilter>

const lower = (v: string | undefined) => (v === undefined ? null : v.toLowerCase())

export function createActivityStore(db: Kysely<Database>, c: StoreCapabilities): ActivityStore {
  return createChainedLogStore<ActivityRecord, ActivityFilter>(db, c, {
    log: 'activity_log',
    idOf: (r) => r.eventDataId,
    columnsOf: (r) => ({
      subscription_key: lower(r.subscriptionId),
      resource_group_key: lower(r.resourceGroupName),
      resource_key: r.scope.toLowerCase(),
      correlation_id: r.correlationId.toLowerCase(),
      caller: lower(r.caller),
      status: r.status,
    }),
    where(q, f) {
      const eq = (column: string, v: string | undefined) => {
        if (v !== undefined) q = q.where(column, '=', v.toLowerCase())
      }
      eq('subscription_key', f.subscriptionId)
      eq('resource_group_key', f.resourceGroupName)
      eq('resource_key', f.resourceUri)
      eq('correlation_id', f.correlationId)
      eq('caller', f.caller)
      if (f.status !== undefined) q = q.where('status', '=', f.status)
      return q
    },
  })
}
