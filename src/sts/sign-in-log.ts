// The token service's sign-in log: every token request, issued or refused, becomes one entry
// (domain/log-records.ts). Entries are group-committed (common/group-commit.ts): a request
// waits for the transaction that holds its entry, and concurrent requests share one. An issued
// token is sent only after its entry committed; when it cannot be written the request fails
// with 503 temporarily_unavailable and Retry-After, so no token leaves unrecorded.
import type { FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import { groupCommit } from '../common/group-commit.js'
import { correlationIdOf } from '../common/oauth-error.js'
import type { Clock } from '../domain/clock.js'
import { KeylessError, ServiceUnavailable } from '../domain/errors.js'
import type { SignInRecord, SignInStatus } from '../domain/log-records.js'
import type { SignInStore } from '../store/store.js'
import { translateError } from '../store/translate-error.js'
import type { AuthenticatedClient } from './authenticate-client.js'
import type { Grant } from './grants.js'
import type { TokenRequest, TokenVersion } from './token-request.js'

export type RecordSignIn = (record: SignInRecord) => Promise<void>

export interface SignInLogOptions {
  store: Pick<SignInStore, 'append'>
  clock: Clock
}

/** The store's failure as the 503 a client retries (an outage is already one). */
function unavailable(error: unknown): ServiceUnavailable {
  const translated = translateError(error)
  if (translated instanceof ServiceUnavailable) return translated
  return new ServiceUnavailable('the sign-in log cannot be written; retry the request', {
    cause: error,
  })
}

export function createSignInLog(o: SignInLogOptions): RecordSignIn {
  const offer = groupCommit<SignInRecord>(async (batch) => {
    await o.store.append(
      batch.map((record) => ({ createdAt: Date.parse(record.createdDateTime), record })),
    )
  })
  return async (record) => {
    try {
      await offer(record)
    } catch (error) {
      throw unavailable(error)
    }
  }
}

/** What a token request is known to be about, as far as it got. */
export interface SignInFacts {
  request: FastifyRequest
  version: TokenVersion
  startedAt: number
  now: number
  tokenRequest?: TokenRequest
  client?: AuthenticatedClient
  grant?: Grant
  tokenId?: string
  error?: unknown
}

function statusOf(error: unknown): SignInStatus {
  if (error === undefined) return { errorCode: 0 }
  if (error instanceof KeylessError) {
    const aadsts = error.extra?.aadsts
    return {
      errorCode: typeof aadsts === 'number' ? aadsts : error.status,
      failureReason: error.expose ? error.message : 'internal error',
      additionalDetails: error.status === 503 ? 'temporarily_unavailable' : error.code,
    }
  }
  return { errorCode: 500, failureReason: 'internal error', additionalDetails: 'server_error' }
}

export function signInRecord(f: SignInFacts): SignInRecord {
  const subject = f.grant?.subject
  const identityResource = f.grant?.response?.msi_res_id
  const host = f.client?.kind === 'host' ? f.client.host.id : undefined
  const audience = f.tokenRequest?.resource
  return {
    id: randomUUID(),
    createdDateTime: new Date(f.now).toISOString(),
    correlationId: correlationIdOf(f.request),
    source: 'server',
    protocol: `oauth2/${f.version}`,
    appId:
      subject?.appId ??
      (f.client?.kind === 'application' ? f.client.appId : f.tokenRequest?.clientId),
    servicePrincipalId:
      subject?.objectId ?? (f.client?.kind === 'application' ? f.client.objectId : undefined),
    ...(identityResource !== undefined && {
      managedServiceIdentity: {
        msiType: subject?.azRid !== undefined ? 'userAssigned' : 'systemAssigned',
        associatedResourceId: identityResource,
      },
      callerResourceId: subject?.azRid ?? identityResource,
    }),
    resourceId: audience,
    resourceDisplayName: audience,
    hostId: host,
    ipAddress: f.request.ip,
    uniqueTokenIdentifier: f.tokenId,
    latencyMs: Math.round((performance.now() - f.startedAt) * 1000) / 1000,
    status: statusOf(f.error),
  }
}
