// The sign-in log: one entry per token request (domain/log-records.ts).
import type { Kysely } from 'kysely'
import { signInResult, type SignInRecord, type SignInResult } from '../../domain/log-records.js'
import type { Database } from '../schema.js'
import type { StoreCapabilities } from '../store.js'
import { createChainedLogStore, type ChainedLogStore } from './chained-log-store.js'

export interface SignInFilter {
  /** An object id, client id or identity resource id (any casing). */
  identity?: string
  /** The audience asked for. */
  resource?: string
  result?: SignInResult
  hostId?: string
}

export type SignInStore = ChainedLogStore<SignInRecord, SignInFilter>

const lower = (v: string | undefined) => (v === undefined ? null : v.toLowerCase())

export function createSignInStore(db: Kysely<Database>, c: StoreCapabilities): SignInStore {
  return createChainedLogStore<SignInRecord, SignInFilter>(db, c, {
    log: 'sign_ins',
    idOf: (r) => r.id,
    columnsOf: (r) => ({
      principal_id: lower(r.servicePrincipalId),
      app_id: lower(r.appId),
      identity_resource_key: lower(r.managedServiceIdentity?.associatedResourceId),
      audience: r.resourceId ?? null,
      host_id: r.hostId ?? null,
      result: signInResult(r),
    }),
    where(q, f) {
      if (f.identity !== undefined) {
        const id = f.identity.toLowerCase()
        q = q.where((eb) =>
          eb.or([
            eb('principal_id', '=', id),
            eb('app_id', '=', id),
            eb('identity_resource_key', '=', id),
          ]),
        )
      }
      if (f.resource !== undefined) q = q.where('audience', '=', f.resource)
      if (f.result !== undefined) q = q.where('result', '=', f.result)
      if (f.hostId !== undefined) q = q.where('host_id', '=', f.hostId)
      return q
    },
  })
}
