// The one token-validation policy every Keyless verifier applies (ARM, Graph, the vault, blob,
// the hosts and events APIs, and `keyless/verify` in users' services): what a Keyless access
// token must look like before, besides and after its signature is checked. Pure rules: the
// signature itself is jose's (common/token-verification.ts), the clock is the caller's.
//
// The rules are the installation's own: exactly the algorithms it signs with, the claims it
// always issues (domain/token-claims.ts), no lifetime longer than it issues, and no header
// member it never writes, so `jku`, `jwk`, `x5u`, `x5c`, `crit`, `zip`, `b64` and JWE's `enc`
// are refused whatever the signature (RFC 8725 §2.3, §3.1).
import { hasDuplicateMembers } from './json-members.js'

/** Longest token accepted, checked before any parsing (a Keyless token is about 1.2 kB). */
export const MAX_TOKEN_LENGTH = 8192
/** Longest encoded protected header accepted (a Keyless header is about 150 characters). */
export const MAX_HEADER_SEGMENT_LENGTH = 512
/** The most clock skew any verifier may tolerate. */
export const MAX_CLOCK_SKEW_SECONDS = 300

/** Header members a Keyless token carries (sts/mint.ts); any other refuses the token. */
const HEADER_MEMBERS = new Set(['alg', 'typ', 'kid', 'x5t'])
/** The token version Keyless issues (v1 access tokens, as Entra's for managed identities). */
const TOKEN_VERSION = '1.0'

export interface TokenPolicy {
  /** The installation's issuer, `<authority>/<tenant>/`. */
  issuer: string
  tenantId: string
  /** The algorithms the installation signs with. */
  algorithms: readonly string[]
  /** The longest lifetime the installation issues. */
  maxLifetimeSeconds: number
  /** Clock skew tolerated on every date, at most MAX_CLOCK_SKEW_SECONDS. */
  skewSeconds: number
}

export type PolicyViolationReason =
  | 'malformed' // not a compact JWS this installation could have written
  | 'claims' // a required claim missing or invalid, or a lifetime longer than issued
  | 'expired'
  | 'not-yet-valid'
  | 'issuer'

export interface PolicyViolation {
  reason: PolicyViolationReason
  message: string
  /** For `expired`: the token's exp. */
  exp?: number
  /** For `issuer`: the issuer the token names. */
  actual?: string
}

/** Misconfiguration is a TypeError at startup, not a token refusal. */
export function checkPolicy(p: TokenPolicy): TokenPolicy {
  if (
    !Number.isInteger(p.skewSeconds) ||
    p.skewSeconds < 0 ||
    p.skewSeconds > MAX_CLOCK_SKEW_SECONDS
  )
    throw new TypeError(`clock skew must be an integer from 0 to ${MAX_CLOCK_SKEW_SECONDS} seconds`)
  if (!Number.isInteger(p.maxLifetimeSeconds) || p.maxLifetimeSeconds <= 0)
    throw new TypeError('the maximum token lifetime must be a positive integer of seconds')
  if (p.algorithms.length === 0) throw new TypeError('algorithms must not be empty')
  return Object.freeze({ ...p, algorithms: Object.freeze([...p.algorithms]) })
}

const malformed = (message: string): PolicyViolation => ({ reason: 'malformed', message })
const invalidClaim = (message: string): PolicyViolation => ({ reason: 'claims', message })
const BASE64URL = /^[A-Za-z0-9_-]*$/

export interface DecodedToken {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

/**
 * The header and claims of a compact JWS, read strictly and before its signature is checked:
 * size first, then exactly three base64url segments (five is a JWE), JSON objects without
 * duplicate member names, and a header this installation could have written.
 */
export function decodeToken(token: string, p: TokenPolicy): DecodedToken | PolicyViolation {
  if (token.length > MAX_TOKEN_LENGTH) return malformed('the token is too long')
  const first = token.indexOf('.')
  if (first < 0) return malformed('the token is not a compact JWS')
  if (first > MAX_HEADER_SEGMENT_LENGTH) return malformed('the token header is too long')
  const segments = token.split('.')
  if (segments.length === 5) return malformed('encrypted tokens (JWE) are not accepted')
  if (segments.length !== 3) return malformed('the token is not a compact JWS')
  if (!segments.every((s) => BASE64URL.test(s)) || segments[2] === '')
    return malformed('the token is not a compact JWS')
  const header = jsonObject(segments[0]!)
  if (!header) return malformed('the token header is not a JSON object with unique members')
  const claims = jsonObject(segments[1]!)
  if (!claims) return malformed('the token claims are not a JSON object with unique members')
  for (const name of Object.keys(header)) {
    if (!HEADER_MEMBERS.has(name)) return malformed(`the header member '${name}' is not accepted`)
  }
  if (typeof header.alg !== 'string' || !p.algorithms.includes(header.alg))
    return malformed('the token algorithm is not one this installation signs with')
  if (typeof header.kid !== 'string' || header.kid === '')
    return malformed("the token header has no 'kid'")
  if (header.typ !== undefined && header.typ !== 'JWT')
    return malformed("the token header 'typ' is not JWT")
  return { header, claims }
}

function jsonObject(segment: string): Record<string, unknown> | undefined {
  const text = Buffer.from(segment, 'base64url').toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return hasDuplicateMembers(text) ? undefined : (value as Record<string, unknown>)
}

const isDate = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)
const isText = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** The tenant an issuer URL names: its first path segment (`https://host/<tenant>/`). */
export function tenantOfIssuer(issuer: string): string | undefined {
  try {
    return new URL(issuer).pathname.split('/').filter(Boolean)[0]
  } catch {
    return undefined
  }
}

/**
 * The claims every Keyless token carries, checked at `nowSeconds`: dates that are integers,
 * a lifetime no longer than the installation issues, this issuer and tenant. The audience is
 * the caller's (each service accepts its own).
 */
export function checkClaims(
  c: Record<string, unknown>,
  p: TokenPolicy,
  nowSeconds: number,
): PolicyViolation | undefined {
  for (const name of ['exp', 'iat'] as const) {
    if (!isDate(c[name])) return invalidClaim(`the '${name}' claim is missing or not an integer`)
  }
  if (c.nbf !== undefined && !isDate(c.nbf))
    return invalidClaim("the 'nbf' claim is not an integer")
  for (const name of ['iss', 'aud', 'oid', 'tid', 'ver'] as const) {
    if (!isText(c[name])) return invalidClaim(`the '${name}' claim is missing or not a string`)
  }
  const exp = c.exp as number
  const iat = c.iat as number
  const skew = p.skewSeconds
  if (c.iss !== p.issuer)
    return { reason: 'issuer', message: 'the token is from another issuer', actual: String(c.iss) }
  if (c.tid !== p.tenantId || tenantOfIssuer(c.iss) !== c.tid)
    return {
      reason: 'issuer',
      message: 'the token belongs to another tenant',
      actual: String(c.iss),
    }
  if (c.ver !== TOKEN_VERSION) return invalidClaim("the 'ver' claim is not one Keyless issues")
  if (exp <= iat) return invalidClaim('the token expires before it was issued')
  if (exp - iat > p.maxLifetimeSeconds + skew)
    return invalidClaim('the token lives longer than this installation issues tokens for')
  if (exp + skew <= nowSeconds) return { reason: 'expired', message: 'the token has expired', exp }
  if (iat - skew > nowSeconds)
    return { reason: 'not-yet-valid', message: 'the token was issued in the future' }
  if (c.nbf !== undefined && (c.nbf as number) - skew > nowSeconds)
    return { reason: 'not-yet-valid', message: 'the token is not valid yet' }
  return undefined
}

export function isPolicyViolation(v: unknown): v is PolicyViolation {
  return typeof v === 'object' && v !== null && 'reason' in v && 'message' in v
}
