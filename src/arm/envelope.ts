// The ONE error renderer of the control plane: every error, whoever threw it, leaves as ARM's
// envelope `{error:{code,message,target,details,additionalInfo}}` (reference §2). Foreign errors
// are translated here (Fastify's body parsing), anything unknown becomes a 500 that shows no
// internals and is logged once, here.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { errorEnvelope } from '../common/error-envelope.js'
import { KeylessError } from '../domain/errors.js'
import { ArmErrors } from './errors.js'

/** Fastify's own errors (content-type parsing, body limits), by code. */
const FASTIFY_ERRORS: Record<string, (err: FastifyError, req: FastifyRequest) => KeylessError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_e, req) =>
    ArmErrors.unsupportedMediaType(String(req.headers['content-type'] ?? '')),
  FST_ERR_CTP_BODY_TOO_LARGE: (_e, req) =>
    ArmErrors.contentTooLarge(req.routeOptions.bodyLimit ?? 0),
  FST_ERR_CTP_INVALID_JSON_BODY: () => invalidJson(),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    ArmErrors.invalidContent('the request content length does not match its Content-Length'),
  FST_ERR_VALIDATION: (e) => ArmErrors.invalidContent(`the request is invalid: ${e.message}`),
}

export function invalidJson(): KeylessError {
  return ArmErrors.invalidContent(
    'The request content was invalid and could not be deserialized: the body is not valid JSON.',
  )
}

/** Translates any error into a KeylessError; unknown errors become an unexposed 500. */
export function toKeylessError(err: unknown, request: FastifyRequest): KeylessError {
  if (err instanceof KeylessError) return err
  const fe = err as FastifyError
  const mapped = typeof fe?.code === 'string' ? FASTIFY_ERRORS[fe.code] : undefined
  if (mapped) return mapped(fe, request)
  if (fe?.statusCode === 400 && typeof fe.code === 'string' && fe.code.startsWith('FST_')) {
    return ArmErrors.invalidContent('the request could not be read')
  }
  return new KeylessError(500, 'InternalServerError', 'internal error', { cause: err })
}

/** Installed with setErrorHandler by the ARM plugin. */
export function renderArmError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const e = toKeylessError(err, request)
  if (!e.expose) request.log.error({ err }, 'request failed')
  const headers = e.extra?.headers as Record<string, string> | undefined
  for (const [name, value] of Object.entries(headers ?? {})) void reply.header(name, value)
  return reply
    .code(e.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(errorEnvelope(e))
}
