// One error hierarchy for every context. Each protocol plugin renders these in its own wire
// format (ARM envelope, OAuth JSON, Key Vault JSON, Blob XML) through one mapping table.
// `code` is the protocol-neutral Azure-style code tests assert; `status` the HTTP status.

export interface ErrorDetail {
  code: string
  message: string
  target?: string
}

export interface KeylessErrorOptions {
  target?: string
  details?: ErrorDetail[]
  cause?: unknown
  /** Extra protocol-specific values a renderer may use (e.g. `retryAfterSeconds`). */
  extra?: Record<string, unknown>
}

export class KeylessError extends Error {
  readonly code: string
  readonly status: number
  readonly target?: string
  readonly details?: ErrorDetail[]
  readonly extra?: Record<string, unknown>

  constructor(status: number, code: string, message: string, options: KeylessErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.status = status
    this.code = code
    this.target = options.target
    this.details = options.details
    this.extra = options.extra
  }

  /** 5xx internals are never shown to clients (oidcp `expose`). */
  get expose(): boolean {
    return this.status < 500
  }
}

export class BadRequest extends KeylessError {
  constructor(code: string, message: string, options?: KeylessErrorOptions) {
    super(400, code, message, options)
  }
}

export class Unauthenticated extends KeylessError {
  constructor(code: string, message: string, options?: KeylessErrorOptions) {
    super(401, code, message, options)
  }
}

export class Forbidden extends KeylessError {
  constructor(code: string, message: string, options?: KeylessErrorOptions) {
    super(403, code, message, options)
  }
}

export class NotFound extends KeylessError {
  constructor(code: string, message: string, options?: KeylessErrorOptions) {
    super(404, code, message, options)
  }
}

export class Conflict extends KeylessError {
  constructor(code: string, message: string, options?: KeylessErrorOptions) {
    super(409, code, message, options)
  }
}

export class PayloadTooLarge extends KeylessError {
  constructor(code: string, message: string, options?: KeylessErrorOptions) {
    super(413, code, message, options)
  }
}

export class Throttled extends KeylessError {
  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(429, code, message, { extra: { retryAfterSeconds } })
  }
}

export class Internal extends KeylessError {
  constructor(message: string, options?: KeylessErrorOptions) {
    super(500, 'InternalError', message, options)
  }
}

export function isKeylessError(e: unknown): e is KeylessError {
  return e instanceof KeylessError
}

/** The store (or the disk under it) cannot take the request now; the client should retry.
 * Unlike other 5xx it is shown to clients: it says nothing about internals, and SDKs retry on
 * 503 with Retry-After (Azure's own answer when a service is briefly unavailable). */
export class ServiceUnavailable extends KeylessError {
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    const retryAfterSeconds = options.retryAfterSeconds ?? 1
    super(503, 'ServiceUnavailable', message, {
      cause: options.cause,
      extra: { retryAfterSeconds, headers: { 'retry-after': String(retryAfterSeconds) } },
    })
  }

  override get expose(): boolean {
    return true
  }
}

// Driver and system errors that mean "the database or its disk is unavailable for now", not
// "this request is wrong": SQLite's extended result codes, PostgreSQL's SQLSTATE classes 08
// (connection exception) and 57P (operator intervention: shutdown, restart), 53 (insufficient
// resources: disk full, too many connections), and the errno of a refused or dropped socket or
// a full disk.
const UNAVAILABLE_CODE =
  /^(SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|PROTOCOL)|08...|57P0[1-4]|53...|E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|NOSPC|DQUOT|HOSTUNREACH|ROFS))/
// node-postgres reports a connection lost mid-query or a pool timeout with no code at all.
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly)/

/** The ServiceUnavailable for a foreign error that means the store is down, else undefined. */
export function unavailableFrom(error: unknown): ServiceUnavailable | undefined {
  if (typeof error !== 'object' || error === null || error instanceof KeylessError) return
  const { code, message } = error as { code?: unknown; message?: unknown }
  const byCode = typeof code === 'string' && UNAVAILABLE_CODE.test(code)
  const byMessage = typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)
  if (!byCode && !byMessage) return
  return new ServiceUnavailable('the service is temporarily unavailable; retry the request', {
    cause: error,
  })
}
