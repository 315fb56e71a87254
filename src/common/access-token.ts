// What a protected service needs from the token service: verify a bearer token it received.
// Services receive a verifier by injection (server/build.ts) and never import sts/ directly.
import type { AccessTokenClaims } from '../domain/token-claims.js'

export type TokenRejection =
  | 'malformed' // not a JWS, or a header the allow-list refuses
  | 'signature' // unknown key or bad signature
  | 'expired'
  | 'not-yet-valid'
  | 'issuer'
  | 'audience'

export class TokenRejected extends Error {
  readonly reason: TokenRejection
  /** For `audience` and `issuer`: the value the token carried. */
  readonly actual?: string
  /** For `expired`: the token's exp (epoch seconds). */
  readonly exp?: number
  constructor(
    reason: TokenRejection,
    message: string,
    extra: { actual?: string; exp?: number } = {},
  ) {
    super(message)
    this.name = 'TokenRejected'
    this.reason = reason
    this.actual = extra.actual
    this.exp = extra.exp
  }
}

export type VerifiedClaims = AccessTokenClaims & Record<string, unknown>

/** Verifies signature, issuer, lifetime and that `aud` is one of `audiences`. */
export type VerifyAccessToken = (
  token: string,
  audiences: readonly string[],
) => Promise<VerifiedClaims>

/** The bearer token of an Authorization header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined || header === '') return undefined
  const m = /^Bearer +([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header.trim())
  return m ? m[1]! : null
}
