// Errors of the verification library, with stable codes (jose style) that services can map.
export type VerifyErrorCode =
  | 'ERR_KEYLESS_TOKEN_MISSING'
  | 'ERR_KEYLESS_TOKEN_INVALID'
  | 'ERR_KEYLESS_TOKEN_EXPIRED'
  | 'ERR_KEYLESS_TOKEN_AUDIENCE'
  | 'ERR_KEYLESS_TOKEN_ISSUER'
  | 'ERR_KEYLESS_TOKEN_REVOKED'
  | 'ERR_KEYLESS_FORBIDDEN'
  | 'ERR_KEYLESS_UNAVAILABLE'

export class KeylessVerifyError extends Error {
  readonly code: VerifyErrorCode
  /** The HTTP status a service should answer with. */
  readonly status: 401 | 403 | 503
  constructor(code: VerifyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'KeylessVerifyError'
    this.code = code
    this.status =
      code === 'ERR_KEYLESS_FORBIDDEN' ? 403 : code === 'ERR_KEYLESS_UNAVAILABLE' ? 503 : 401
  }
}
