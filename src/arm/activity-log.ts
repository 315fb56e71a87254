// The activity log of the control plane: every write (PUT, PATCH, DELETE) that reaches the ARM
// plugin becomes one entry once its response is decided, refused ones included (unauthenticated,
// forbidden, invalid), with the Azure action, the resource, the caller and the correlation id
// (domain/log-records.ts). The entry is written before the response is sent, so a client that
// reads the log after its write finds it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import { activityStatus, type ActivityRecord } from '../domain/log-records.js'
import { parseResourceId } from '../domain/resource-id.js'
import type { ActivityStore } from '../store/store.js'
import { requiredAccess } from './actions.js'
import type { Caller } from './authenticate.js'
import { normalizePath, parseTarget } from './target.js'

const WRITES = new Set(['PUT', 'PATCH', 'DELETE'])

export interface ActivityLogOptions {
  store: Pick<ActivityStore, 'append'>
  clock: Clock
  /** The authenticated caller of a request, undefined when authentication failed. */
  callerOf: (request: FastifyRequest) => Caller | undefined
}

/** The Azure action a write asks for and the scope it is authorized at, as actions.ts says. */
function operationOf(request: FastifyRequest, path: string) {
  try {
    const primary = requiredAccess(parseTarget(path), request.method, request.body).primary
    if (primary) return primary
  } catch {
    // a path that names no operation: the entry still says what was asked
  }
  return { action: `${request.method} ${path}`, scope: path }
}

function resourceParts(path: string) {
  try {
    const id = parseResourceId(path)
    return {
      subscriptionId: id.subscriptionId,
      resourceGroupName: id.resourceGroup,
      resourceProviderName: id.namespace,
      resourceType: id.type,
    }
  } catch {
    return {}
  }
}

function errorOf(payload: unknown): { errorCode?: string; errorMessage?: string } {
  if (typeof payload !== 'string') return {}
  try {
    const { error } = JSON.parse(payload) as { error?: { code?: unknown; message?: unknown } }
    return {
      ...(typeof error?.code === 'string' && { errorCode: error.code }),
      ...(typeof error?.message === 'string' && { errorMessage: error.message }),
    }
  } catch {
    return {}
  }
}

export function activityRecord(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  caller: Caller | undefined,
  now: number,
): ActivityRecord {
  let path: string
  try {
    path = normalizePath(request.url)
  } catch {
    path = request.url.split('?')[0]!
  }
  const { action, scope } = operationOf(request, path)
  const status = reply.statusCode
  const correlation = reply.getHeader('x-ms-correlation-request-id')
  return {
    eventDataId: randomUUID(),
    correlationId: typeof correlation === 'string' ? correlation : String(request.id),
    eventTimestamp: new Date(now).toISOString(),
    caller: caller?.objectId,
    callerAppId: caller?.appId,
    operationName: action,
    scope: path,
    ...(scope.toLowerCase() !== path.toLowerCase() && { authorizationScope: scope }),
    ...resourceParts(path),
    status: activityStatus(status),
    httpStatusCode: status,
    httpMethod: request.method,
    clientIpAddress: request.ip,
    requestId: String(request.id),
    ...(status >= 400 ? errorOf(payload) : {}),
  }
}

export function registerActivityLog(arm: FastifyInstance, o: ActivityLogOptions): void {
  arm.addHook('onSend', async (request, reply, payload) => {
    if (!WRITES.has(request.method)) return payload
    const record = activityRecord(request, reply, payload, o.callerOf(request), o.clock.now())
    try {
      await o.store.append([{ createdAt: Date.parse(record.eventTimestamp), record }])
    } catch (err) {
      // The write itself is done (or refused) and its answer stands; the missing entry is
      // reported here, once, for the operator.
      request.log.error({ err, correlationId: record.correlationId }, 'activity log write failed')
    }
    return payload
  })
}
