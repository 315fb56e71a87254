// OAuth 2.0 / Entra error JSON (RFC 6749 §5.2 plus Entra's fields), used by the token service
// and the agent's identity endpoints. Entra prefixes descriptions with an AADSTS code and
// repeats it in `error_codes`; clients log these, and tests assert them.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { KeylessError, BadRequest, Unauthenticated, PayloadTooLarge } from '../domain/errors.js'
import {
  classifyFrameworkError,
  type FrameworkError,
  type FrameworkFailure,
} from './framework-errors.js'

export interface OAuthErrorBody {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
}

/** An OAuth error: `code` is the OAuth `error` value, `extra.aadsts` Entra's number. */
export function oauthError(
  status: 400 | 401 | 413,
  error: string,
  aadsts: number,
  message: string,
) {
  const Cls = status === 401 ? Unauthenticated : status === 413 ? PayloadTooLarge : BadRequest
  return new Cls(error, message, { extra: { aadsts } })
}

export const OAuthErrors = {
  missingParameter: (name: string) =>
    oauthError(
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    ),
  duplicatedParameter: (name: string) =>
    oauthError(
      400,
      'invalid_request',
      9000411,
      `The request is not properly formatted. The parameter '${name}' is duplicated.`,
    ),
  unsupportedContentType: () =>
    oauthError(
      400,
      'invalid_request',
      900144,
      'The request body must be application/x-www-form-urlencoded.',
    ),
  bodyTooLarge: (limit: number) =>
    oauthError(
      413,
      'invalid_request',
      90083,
      `The request body exceeds the limit of ${limit} bytes.`,
    ),
  unsupportedGrantType: (grant: string) =>
    oauthError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant}'.`,
    ),
  tenantNotFound: (tenant: string) =>
    oauthError(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  unknownClient: (clientId: string, tenant: string) =>
    oauthError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
    ),
  invalidClientSecret: (clientId: string) =>
    oauthError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided for app '${clientId}'.`,
    ),
  invalidScope: (scope: string) =>
    oauthError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  invalidResource: (resource: string) =>
    oauthError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant.`,
    ),
  conflictingClientAuth: () =>
    oauthError(
      400,
      'invalid_request',
      90015,
      'The request carries more than one client authentication method.',
    ),
}

function timestamp(now: number): string {
  return new Date(now)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}

const malformed = () =>
  oauthError(400, 'invalid_request', 900144, 'The request is not properly formatted.')

/** The framework's errors in OAuth's terms, one row per kind of the shared table. */
const FRAMEWORK: Record<FrameworkFailure, (f: FrameworkError) => KeylessError> = {
  'unsupported-media-type': () => OAuthErrors.unsupportedContentType(),
  'body-too-large': (f) => OAuthErrors.bodyTooLarge(f.limitBytes ?? 0),
  'invalid-json': malformed,
  'invalid-content-length': malformed,
  validation: malformed,
  'bad-request': malformed,
}

/** Renders any error thrown inside an OAuth plugin; installed with setErrorHandler. */
export function renderOAuthError(
  err: FastifyError | KeylessError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
  now: number,
): FastifyReply {
  const framework = classifyFrameworkError(err, request)
  const e =
    err instanceof KeylessError
      ? err
      : framework
        ? FRAMEWORK[framework.kind](framework)
        : new KeylessError(500, 'server_error', 'internal error', { cause: err })
  if (!e.expose) request.log.error({ err }, 'request failed')
  const aadsts = (e.extra?.aadsts as number | undefined) ?? 50000
  const traceId = String(request.id)
  const correlationId = correlationIdOf(request)
  const ts = timestamp(now)
  const message = e.expose ? e.message : 'There was an error issuing a token.'
  const body: OAuthErrorBody = {
    // RFC 6749 §4.1.2.1 names the OAuth code for a server that is briefly unavailable.
    error: e.status === 503 ? 'temporarily_unavailable' : e.code,
    error_description: `AADSTS${aadsts}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
    error_codes: [aadsts],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: correlationId,
  }
  const retryAfter = e.extra?.retryAfterSeconds
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter))
  return reply.code(e.status).header('content-type', 'application/json; charset=utf-8').send(body)
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** MSAL sends `client-request-id` in the query and the headers; echo it when it is a GUID. */
export function correlationIdOf(request: FastifyRequest): string {
  const q = (request.query as Record<string, unknown> | undefined)?.['client-request-id']
  const h = request.headers['client-request-id']
  for (const v of [q, h]) if (typeof v === 'string' && GUID.test(v)) return v.toLowerCase()
  return String(request.id)
}
