// What the agent asks the token service for, and what comes back. The endpoints and the cache
// work against this interface; sts-client.ts implements it over HTTPS, tests with a fake.
import { AgentErrorCodes, type SelectorKind } from '../common/agent-protocol.js'
import type { ProcessSelectors } from '../domain/process-selectors.js'

/** A user-assigned identity chosen by the caller (none: system-assigned, else the sole one). */
export interface Selector {
  kind: SelectorKind
  /** As the client sent it: Arc clients expect it echoed back (identity-protocols.md §5). */
  value: string
}

export interface TokenRequest {
  /** ARM id of the compute resource that is calling. */
  callerResourceId: string
  selector?: Selector
  /** The audience, exactly as the client requested it. */
  resource: string
}

export interface IssuedToken {
  accessToken: string
  /** Epoch seconds: the token's own expiry, as the server set it. */
  expiresOn: number
  /** Epoch seconds, when known. */
  notBefore?: number
  /** The identity the server chose. */
  clientId: string
  objectId: string
  msiResId: string
  /** Which local processes may have it (the attachment's selectors); absent: any. */
  selectors?: ProcessSelectors
}

export interface TokenSource {
  requestToken(request: TokenRequest): Promise<IssuedToken>
}

/**
 * The token service refused (status ≥ 400), or could not be reached (status 0). `error` is the
 * OAuth error code of the server's answer, `codes` its AADSTS numbers.
 */
export class TokenRequestError extends Error {
  readonly status: number
  readonly error: string
  readonly description: string
  readonly codes: readonly number[]
  /** The server's `Retry-After`, in seconds, when it sent one. */
  readonly retryAfterS?: number

  constructor(
    status: number,
    error: string,
    description: string,
    codes: readonly number[] = [],
    retryAfterS?: number,
  ) {
    super(description)
    this.name = 'TokenRequestError'
    this.status = status
    this.error = error
    this.description = description
    this.codes = codes
    this.retryAfterS = retryAfterS
  }

  /** Unreachable, or a server-side failure: worth retrying, no reason to drop a cached token. */
  get isTransient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500
  }
}

export const unreachable = (cause: unknown): TokenRequestError =>
  Object.assign(
    new TokenRequestError(0, 'temporarily_unavailable', 'the token service is unreachable'),
    { cause },
  )

/** The server's answer that this host was revoked (a 401 with the host-revoked code). */
export const isHostRevoked = (err: unknown): boolean =>
  err instanceof TokenRequestError &&
  err.status === 401 &&
  err.codes.includes(AgentErrorCodes.hostRevoked)
