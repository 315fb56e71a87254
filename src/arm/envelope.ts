// The ONE error renderer of the control plane: every error, whoever threw it, leaves as ARM's
// envelope `{error:{code,message,target,details,additionalInfo}}` (reference §2). Foreign errors
// are translated here (Fastify's body parsing), anything unknown becomes a 500 that shows no
// internals and is logged once, here.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { errorEnvelope } from '../common/error-envelope.js'
import {
  classifyFrameworkError,
  type FrameworkError,
  type FrameworkFailure,
} from '../common/framework-errors.js'
import { KeylessError } from '../domain/errors.js'
import { ArmErrors } from './errors.js'

/** The framework's errors in ARM's terms, one row per kind of the shared table. */
const FRAMEWORK: Record<
  FrameworkFailure,
  (f: FrameworkError, req: FastifyRequest) => KeylessError
> = {
  'unsupported-media-type': (_f, req) =>
    ArmErrors.unsupportedMediaType(String(req.headers['content-type'] ?? '')),
  'body-too-large': (f) => ArmErrors.contentTooLarge(f.limitBytes ?? 0),
  'invalid-json': () => invalidJson(),
  'invalid-content-length': () =>
    ArmErrors.invalidContent('the request content length does not match its Content-Length'),
  validation: (f) => ArmErrors.invalidContent(`the request is invalid: ${f.detail}`),
  'bad-request': () => ArmErrors.invalidContent('the request could not be read'),
}

export function invalidJson(): KeylessError {
  return ArmErrors.invalidContent(
    'The request content was invalid and could not be deserialized: the body is not valid JSON.',
  )
}

/** Translates any error into a KeylessError; unknown errors become an unexposed 500. */
export function toKeylessError(err: unknown, request: FastifyRequest): KeylessError {
  if (err instanceof KeylessError) return err
  const framework = classifyFrameworkError(err, request)
  if (framework) return FRAMEWORK[framework.kind](framework, request)
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
