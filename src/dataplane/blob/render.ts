// The Blob plugin's one error renderer: every failure leaves as Azure Storage writes it, an XML
// <Error> with <Code> and a <Message> ending in the request id and time, plus the
// `x-ms-error-code` header (the only trace of the code on HEAD, which has no body).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  classifyFrameworkError,
  type FrameworkError,
  type FrameworkFailure,
} from '../../common/framework-errors.js'
import { KeylessError, unavailableFrom } from '../../domain/errors.js'
import { BlobErrors, type BlobErrorExtra } from './errors.js'
import { XML_DECLARATION, element } from './xml.js'

/** Azure's `Time:` format: ISO 8601 with seven fractional digits. */
export function azureTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z')
}

export function errorXml(error: KeylessError, requestId: string, now: number): string {
  const extra = (error.extra ?? {}) as BlobErrorExtra
  const message = `${error.message}\nRequestId:${requestId}\nTime:${azureTime(now)}`
  const fields = Object.entries(extra.fields ?? {})
    .map(([name, value]) => element(name, value))
    .join('')
  const detail =
    extra.detail === undefined ? '' : element('AuthenticationErrorDetail', extra.detail)
  return `${XML_DECLARATION}<Error>${element('Code', error.code)}${element('Message', message)}${detail}${fields}</Error>`
}

/** The framework's errors in Azure Storage's terms, one row per kind of the shared table. */
const FRAMEWORK: Record<
  FrameworkFailure,
  (f: FrameworkError, req: FastifyRequest) => KeylessError
> = {
  'unsupported-media-type': (_f, req) =>
    BlobErrors.invalidHeader('Content-Type', String(req.headers['content-type'] ?? '')),
  'body-too-large': (f) => BlobErrors.bodyTooLarge(f.limitBytes ?? 0),
  'invalid-json': () => BlobErrors.invalidInput(),
  'invalid-content-length': () => BlobErrors.invalidInput(),
  validation: () => BlobErrors.invalidInput(),
  'bad-request': () => BlobErrors.invalidInput(),
}

function fromFastify(error: unknown, request: FastifyRequest): KeylessError {
  const framework = classifyFrameworkError(error, request)
  return framework ? FRAMEWORK[framework.kind](framework, request) : BlobErrors.internal()
}

export function createErrorRenderer(now: () => number) {
  return function renderBlobError(
    this: unknown,
    error: FastifyError | KeylessError,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    // A full disk under the content files is as temporary as a store outage.
    let e =
      error instanceof KeylessError
        ? error
        : (unavailableFrom(error) ?? fromFastify(error, request))
    if (e.status === 503) {
      request.log.warn({ err: error }, 'blob request failed: store unavailable')
      e = BlobErrors.serverBusy(e)
    } else if (e.status >= 500) {
      request.log.error({ err: error }, 'blob request failed')
      e = BlobErrors.internal()
    } else {
      request.log.info({ code: e.code, status: e.status }, 'blob request refused')
    }
    const extra = (e.extra ?? {}) as BlobErrorExtra
    reply
      .code(e.status)
      .header('x-ms-error-code', e.code)
      .headers(extra.headers ?? {})
    if (request.method === 'HEAD') return reply.send()
    return reply
      .header('content-type', 'application/xml')
      .send(errorXml(e, String(request.id), now()))
  }
}
