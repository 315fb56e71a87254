// The one translation of the HTTP framework's own errors (Fastify's content-type parsing, body
// limits, schema validation, malformed URLs) into protocol-neutral kinds. Each protocol's
// renderer (ARM, Graph, OAuth, Key Vault, Blob, the hosts API) maps a kind to its own wire
// error, so a 413 is a 413 everywhere and no framework error becomes a 500.
import type { FastifyError, FastifyRequest } from 'fastify'

export type FrameworkFailure =
  | 'unsupported-media-type' // 415: no parser for the Content-Type
  | 'body-too-large' // 413: more than the route's body limit
  | 'invalid-json' // a JSON body that does not parse
  | 'invalid-content-length' // the body is not as long as Content-Length says
  | 'validation' // the route's JSON schema refused the request
  | 'bad-request' // any other framework refusal of the request (bad URL, bad header)

export interface FrameworkError {
  kind: FrameworkFailure
  status: 400 | 413 | 415
  /** The framework's words, safe to show: they describe the request, never the server. */
  detail: string
  /** For `body-too-large`: the limit in bytes. */
  limitBytes?: number
}

/** Fastify's error codes, by kind (fastify `lib/errors.js`). */
const BY_CODE: Record<string, FrameworkFailure> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-content-length',
  FST_ERR_VALIDATION: 'validation',
}

const STATUS: Record<FrameworkFailure, FrameworkError['status']> = {
  'unsupported-media-type': 415,
  'body-too-large': 413,
  'invalid-json': 400,
  'invalid-content-length': 400,
  validation: 400,
  'bad-request': 400,
}

/**
 * The kind of a framework error, or undefined when `err` is not one (a bug, a domain error):
 * those stay the renderer's to decide. Any error the framework marks with a 4xx status is the
 * request's fault, whatever its code, so it is a `bad-request` at worst.
 */
export function classifyFrameworkError(
  err: unknown,
  request: FastifyRequest,
): FrameworkError | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const fe = err as Partial<FastifyError>
  let kind: FrameworkFailure | undefined =
    typeof fe.code === 'string' ? BY_CODE[fe.code] : undefined
  if (!kind && fe.validation !== undefined) kind = 'validation'
  if (!kind && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    kind =
      fe.statusCode === 413
        ? 'body-too-large'
        : fe.statusCode === 415
          ? 'unsupported-media-type'
          : 'bad-request'
  }
  if (!kind) return undefined
  return {
    kind,
    status: STATUS[kind],
    detail: typeof fe.message === 'string' ? fe.message.slice(0, 300) : kind,
    ...(kind === 'body-too-large' ? { limitBytes: request.routeOptions?.bodyLimit ?? 0 } : {}),
  }
}

/** What a protocol answers for a request Node's HTTP parser refused (no request object). */
export type ClientErrorBody = (status: 400 | 408 | 431) => { contentType: string; body: string }

/**
 * A Fastify `clientErrorHandler`: Node refuses a request it cannot parse (an unknown method,
 * headers over the size limit, a malformed request line) before Fastify has a request; the
 * answer is still in the protocol's format, and the connection is closed.
 */
export function clientErrorResponder(render: ClientErrorBody) {
  return (err: NodeJS.ErrnoException, socket: import('node:net').Socket): void => {
    // As Node's own handler: nothing to say on a dead socket, nor once a response has begun
    // (a second one on the same connection would corrupt it).
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy()
      return
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    const reason = {
      400: 'Bad Request',
      408: 'Request Timeout',
      431: 'Request Header Fields Too Large',
    }[status]
    const { contentType, body } = render(status)
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
}
