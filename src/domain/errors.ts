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
