// Microsoft Graph's error format for the directory read API:
// `{error:{code,message,innerError:{date,request-id,client-request-id}}}`
// (https://learn.microsoft.com/graph/errors). ARM-coded errors from the shared authenticator
// and authorizer are translated to Graph's codes here, in one table.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../../domain/clock.js'
import { KeylessError } from '../../domain/errors.js'
import { toKeylessError } from '../envelope.js'

const UNAUTHENTICATED: Record<string, string> = {
  AuthenticationFailed: 'Access token is empty.',
  ExpiredAuthenticationToken: 'Lifetime validation failed, the token is expired.',
  InvalidAuthenticationTokenAudience: 'Access token validation failure. Invalid audience.',
  InvalidAuthenticationTokenTenant: 'Access token validation failure. Invalid issuer.',
}

function toGraph(e: KeylessError): { code: string; message: string } {
  if (!e.expose) return { code: 'generalException', message: 'General exception while processing.' }
  if (e.status === 401) {
    return {
      code: 'InvalidAuthenticationToken',
      message: UNAUTHENTICATED[e.code] ?? 'Access token validation failure.',
    }
  }
  if (e.status === 403) {
    return {
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    }
  }
  return { code: e.code, message: e.message }
}

export function graphError(status: number, code: string, message: string): KeylessError {
  return new KeylessError(status, code, message)
}

/** The renderer, dating each error (`innerError.date`) by the injected clock. */
export const createGraphErrorRenderer =
  (clock: Clock) => (err: unknown, request: FastifyRequest, reply: FastifyReply) =>
    renderGraphError(err, request, reply, clock.now())

function renderGraphError(err: unknown, request: FastifyRequest, reply: FastifyReply, now: number) {
  const e = toKeylessError(err, request)
  if (!e.expose) request.log.error({ err }, 'request failed')
  const headers = e.extra?.headers as Record<string, string> | undefined
  for (const [name, value] of Object.entries(headers ?? {})) void reply.header(name, value)
  const clientRequestId = request.headers['client-request-id']
  return reply
    .code(e.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({
      error: {
        ...toGraph(e),
        innerError: {
          date: new Date(now).toISOString().replace(/\.\d+Z$/, ''),
          'request-id': String(request.id),
          'client-request-id':
            typeof clientRequestId === 'string' ? clientRequestId : String(request.id),
        },
      },
    })
}
