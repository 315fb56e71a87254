// What a protected service needs from the token service: verify a bearer token it received.
// Services receive a verifier by injection (server/build.ts) and never import sts/ directly.
import type { AccessTokenClaims } from '../domain/token-claims.js'

export type TokenRejection =
  | 'malformed' // not a JWS, too large, or a header the policy refuses
  | 'claims' // a required claim missing or invalid, or a lifetime longer than issued
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

/**
 * Why a token that verified no longer stands: its principal was deleted, or a revocation covers
 * it (an identity detached, a resource deleted, a host revoked: domain/token-revocation.ts).
 * Every verifier asks this one question after verifying (server/build.ts builds the answer).
 */
export type TokenRevocation = 'principal-deleted' | 'revoked'
export type RevocationOf = (claims: VerifiedClaims) => Promise<TokenRevocation | undefined>

/** The sentence a refusal uses for each revocation. */
export const REVOCATION_MESSAGES: Record<TokenRevocation, string> = {
  'principal-deleted': 'its principal no longer exists',
  revoked: 'it was revoked (its identity was detached, its resource deleted or its host revoked)',
}

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

interface CachedToken<T> {
  token: string
  claims: T
}

// The last characters of a token are its signature's: as good as random, and short to hash
// (V8 hashes a whole string before a Map lookup, and a token is over a kilobyte).
const KEY_LENGTH = 43

/**
 * Tokens already verified, remembered until they expire (plus the clock tolerance), at most
 * `max` of them (least recently used leave first). A hit is the very same token string: entries
 * are found by the token's tail and then compared in full. Nothing enters without full
 * verification, and only what depends on the token's bytes is skipped on a hit: the caller
 * still checks what depends on the request (audience, issuer) and on live state (RBAC).
 */
export class VerifiedTokenCache<T extends { exp?: number; nbf?: number }> {
  readonly #max: number
  readonly #entries = new Map<string, CachedToken<T>>()

  constructor(max: number) {
    this.#max = max
  }

  get(token: string, nowSeconds: number, toleranceSeconds: number): T | undefined {
    const key = token.length > KEY_LENGTH ? token.slice(-KEY_LENGTH) : token
    const hit = this.#entries.get(key)
    if (!hit || hit.token !== token) return undefined
    const { exp, nbf } = hit.claims
    if ((exp ?? 0) + toleranceSeconds <= nowSeconds) {
      this.#entries.delete(key)
      return undefined
    }
    if (nbf !== undefined && nbf - toleranceSeconds > nowSeconds) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, hit)
    return hit.claims
  }

  set(token: string, claims: T): void {
    if (this.#max <= 0) return
    const key = token.length > KEY_LENGTH ? token.slice(-KEY_LENGTH) : token
    this.#entries.delete(key)
    this.#entries.set(key, { token, claims })
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!)
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}
