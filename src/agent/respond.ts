// Writing answers of the identity endpoints: JSON everywhere, errors included
// (identity-protocols.md checklist 12), in OAuth shape, with `Retry-After` on 429 and the Arc
// challenge header on its 401.
import type { ServerResponse } from 'node:http'
import { KeylessError } from '../domain/errors.js'
import { EndpointErrors, fromTokenRequestError } from './endpoint-errors.js'
import { TokenRequestError } from './token-source.js'

export const JSON_TYPE = 'application/json; charset=utf-8'

export interface Logger {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string | number>,
): void {
  sendJsonText(res, status, JSON.stringify(body), headers)
}

/** A body already serialized (the token path renders its own, see token-body.ts). */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  text: string | Buffer,
  headers?: Record<string, string | number>,
): void {
  const all: Record<string, string | number> = headers ?? {}
  all['content-type'] = JSON_TYPE
  all['content-length'] = typeof text === 'string' ? Buffer.byteLength(text) : text.length
  all['cache-control'] = 'no-store'
  res.writeHead(status, all)
  res.end(text)
}

/** Any error of the token path as the workload sees it; internals of a 5xx are logged, not sent. */
export function toEndpointError(err: unknown, log: Logger): KeylessError {
  if (err instanceof KeylessError) return err
  if (err instanceof TokenRequestError) {
    if (err.isTransient) log.warn({ status: err.status, error: err.error }, 'token service failed')
    return fromTokenRequestError(err)
  }
  log.error({ err }, 'identity endpoint failed')
  return EndpointErrors.internal()
}

/** A protocol's own error body and status (Service Fabric's); default OAuth JSON. */
export type RenderError = (e: KeylessError) => { status: number; body: object }

const renderOAuth: RenderError = (e) => ({
  status: e.status,
  body: { error: e.code, error_description: e.message },
})

export function sendError(
  res: ServerResponse,
  err: unknown,
  log: Logger,
  render: RenderError = renderOAuth,
): void {
  const e = toEndpointError(err, log)
  if (res.headersSent) {
    res.destroy()
    return
  }
  const headers: Record<string, string> = {}
  const retryAfter = e.extra?.retryAfterSeconds
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter)
  const challenge = e.extra?.wwwAuthenticate
  if (typeof challenge === 'string') headers['www-authenticate'] = challenge
  if (e.extra?.closeConnection === true) headers.connection = 'close'
  const { status, body } = render(e)
  if (status === 405) headers.allow = 'GET'
  sendJson(res, status, body, headers)
}
