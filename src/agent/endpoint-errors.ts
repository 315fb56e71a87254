// Every error the identity endpoints answer, in one table (STYLE §4). They are rendered as OAuth
// JSON `{error, error_description}` (identity-protocols.md §3; App Service clients parse this
// shape too, §4), with `Retry-After` on 429.
import { AgentErrorCodes } from '../common/agent-protocol.js'
import { BadRequest, KeylessError, Throttled, Unauthenticated } from '../domain/errors.js'
import type { FaultStatus } from '../domain/fault-plan.js'
import { TokenRequestError } from './token-source.js'

const bad = (code: string, message: string) => new BadRequest(code, message)

const endpointErrors = {
  notFound: () => new KeylessError(404, 'not_found', 'no identity endpoint at this path'),
  methodNotAllowed: () =>
    new KeylessError(405, 'method_not_allowed', 'the identity endpoint accepts GET only'),
  // IMDS's own wording (docs: bad_request_102); the `error` value is not documented.
  missingMetadata: () => bad('invalid_request', 'Required metadata header not specified'),
  // IMDS rejects X-Forwarded-For (status undocumented); every proxy header is refused alike.
  forwarded: (header: string) =>
    bad('invalid_request', `Requests with the ${header} header are not accepted`),
  wrongHost: () =>
    bad('invalid_request', 'The Host header must name this endpoint (loopback or link-local)'),
  // No client sends a body; the connection is closed so that no unread bytes become a request.
  bodyNotAllowed: () =>
    new BadRequest('invalid_request', 'The identity endpoint accepts no request body', {
      extra: { closeConnection: true },
    }),
  duplicateParameter: (name: string) =>
    bad('invalid_request', `Query parameter '${name}' is given more than once`),
  missingApiVersion: () =>
    bad('invalid_request', 'Required query parameter api-version is missing'),
  unsupportedApiVersion: (v: string) =>
    new BadRequest('invalid_request', `api-version '${v}' is not supported by this endpoint`, {
      extra: { apiVersion: v },
    }),
  missingResource: () => bad('invalid_request', 'Required query parameter resource is missing'),
  invalidResource: (r: string) =>
    bad('invalid_resource', `AADSTS500011: The resource principal named ${r} was not found`),
  invalidRefresh: (name: string, expected: string) =>
    bad('invalid_request', `Query parameter '${name}' must be ${expected}`),
  tooManySelectors: (names: string[]) =>
    bad('invalid_request', `Only one of ${names.join(', ')} may be given`),
  // The exact body clients and tests expect (azure-sdk-for-net#37278).
  identityNotFound: () => bad('invalid_request', 'Identity not found'),
  missingIdentityHeader: (name: string) =>
    bad('invalid_request', `Required header ${name} not specified`),
  wrongIdentityHeader: (name: string) =>
    new Unauthenticated('invalid_client', `${name} does not match a registered run`),
  arcKeyRejected: (why: 'unknown' | 'expired' | 'mismatch') =>
    new Unauthenticated(
      'invalid_client',
      why === 'expired'
        ? 'The challenge key has expired; request a new one'
        : why === 'mismatch'
          ? 'The challenge key was issued for another request'
          : 'The challenge key is not valid',
    ),
  throttled: (retryAfterS: number) =>
    new Throttled('too_many_requests', 'Too many requests for this identity', retryAfterS),
  revoked: () =>
    bad('unauthorized_client', 'The host credential of this agent was revoked by the operator'),
  unavailable: () =>
    new KeylessError(503, 'temporarily_unavailable', 'The token service cannot be reached'),
  internal: () => new KeylessError(500, 'server_error', 'internal error'),
  /** An operator's injected fault (faults.ts), in the shape of the real answer; the description
   * says it was injected, so nobody hunts for a real outage. */
  injected: (status: FaultStatus) => {
    const why = ' [fault injected by the Keyless agent]'
    switch (status) {
      case 404:
        return new KeylessError(404, 'not_found', `Identity not yet available${why}`)
      case 410:
        return new KeylessError(
          410,
          'gone',
          `The endpoint is being upgraded; retry within 70 seconds${why}`,
        )
      case 429:
        return new Throttled('too_many_requests', `Too many requests for this identity${why}`, 1)
      case 500:
        return new KeylessError(500, 'server_error', `internal error${why}`)
      case 503:
        return new KeylessError(
          503,
          'temporarily_unavailable',
          `The token service is unavailable${why}`,
          {
            extra: { retryAfterSeconds: 1 },
          },
        )
    }
  },
}

export type EndpointErrorReason = keyof typeof endpointErrors

/**
 * Every error above carries its name in `extra.reason`, so a protocol with its own error codes
 * (Service Fabric's, servicefabric-endpoint.ts) maps them by name, never by message text.
 */
export const EndpointErrors = Object.fromEntries(
  Object.entries(endpointErrors).map(([reason, make]) => [
    reason,
    (...args: never[]) => {
      const e = (make as (...a: never[]) => KeylessError)(...args)
      // Keeps the class (Throttled, Unauthenticated…): only the renderers' extras grow.
      ;(e as { extra?: Record<string, unknown> }).extra = { ...e.extra, reason }
      return e
    },
  ]),
) as typeof endpointErrors

export const reasonOf = (e: KeylessError): EndpointErrorReason | undefined =>
  e.extra?.reason as EndpointErrorReason | undefined

/** The server's first line (its AADSTS text) without the trace lines Entra appends. */
function headline(description: string): string {
  const i = description.indexOf('\r\n')
  return i < 0 ? description : description.slice(0, i)
}

/**
 * How a refusal of the token service reaches the workload: an unknown or unattached identity
 * becomes IMDS's "Identity not found"; other refusals (resource unknown, not hosted here, host
 * revoked) keep the server's code as a 400; failures to reach the server become a 503, which
 * clients retry (identity-protocols.md §2.3).
 */
export function fromTokenRequestError(e: TokenRequestError): KeylessError {
  if (e.status === 429) return EndpointErrors.throttled(e.retryAfterS ?? 1)
  if (e.isTransient) return EndpointErrors.unavailable()
  if (
    e.codes.includes(AgentErrorCodes.identityNotFound) ||
    e.codes.includes(AgentErrorCodes.callerNotFound)
  ) {
    return EndpointErrors.identityNotFound()
  }
  return bad(e.error || 'invalid_request', headline(e.description))
}
