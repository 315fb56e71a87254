// Verifying Keyless access tokens in a user's own service: JWKS fetched from Keyless, cached,
// and refetched on an unknown `kid` at most once per cooldown (jose's remote JWKS set); a strict
// algorithm allow-list; issuer, audience and lifetime checked with a small clock tolerance; and
// a bounded cache of tokens already verified.
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose'
import { KeylessVerifyError } from './errors.js'
import { createHttpsFetch } from './https-fetch.js'
import { VerifiedTokenCache } from './token-cache.js'

export interface VerifierOptions {
  /** Keyless's authority host, e.g. `https://127.0.0.1:8443` (endpoints.json `authorityHost`). */
  authority: string
  tenantId: string
  /** The audience (or audiences) this service accepts, e.g. `api://orders`. */
  audience: string | string[]
  /** Allowed signing algorithms; anything else (including `none` and HS*) is refused. */
  algorithms?: ('RS256' | 'ES256' | 'EdDSA')[]
  /** Seconds of clock skew tolerated on exp/nbf/iat. Default 60. */
  clockToleranceSeconds?: number
  /** PEM of Keyless's CA when the service does not trust it system-wide. */
  ca?: string | Buffer
  /** How many verified tokens to remember (0 disables). Default 10,000. */
  cacheSize?: number
  /** Minimum time between JWKS refetches caused by unknown key ids. Default 30 s. */
  jwksCooldownMs?: number
  /** For tests: the current time. */
  now?: () => number
}

/** What a verified token says about its caller. */
export interface KeylessPrincipal {
  /** Object id (`oid`): the principal RBAC decides for. */
  objectId: string
  /** Application (client) id (`appid`). */
  appId: string
  tenantId: string
  /** ARM id of the managed identity (`xms_mirid`), when the caller is one. */
  managedIdentityResourceId?: string
  claims: JWTPayload & Record<string, unknown>
}

export function createVerifier(options: VerifierOptions) {
  const authority = options.authority.replace(/\/+$/, '')
  const issuer = `${authority}/${options.tenantId}/`
  const algorithms = options.algorithms ?? ['RS256']
  if (algorithms.length === 0) throw new TypeError('algorithms must not be empty')
  const tolerance = options.clockToleranceSeconds ?? 60
  const now = options.now ?? (() => Date.now())
  const jwks = createRemoteJWKSet(new URL(`${authority}/${options.tenantId}/discovery/v2.0/keys`), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: 10 * 60_000,
    [customFetch]: createHttpsFetch({ ca: options.ca }) as never,
  })
  const cache = new VerifiedTokenCache<KeylessPrincipal['claims']>(options.cacheSize ?? 10_000)

  const principalOf = (claims: KeylessPrincipal['claims']): KeylessPrincipal => ({
    objectId: String(claims.oid),
    appId: String(claims.appid),
    tenantId: String(claims.tid),
    ...(typeof claims.xms_mirid === 'string'
      ? { managedIdentityResourceId: claims.xms_mirid }
      : {}),
    claims,
  })

  return {
    issuer,

    /** Verifies a bearer token; throws KeylessVerifyError (401) when it is not acceptable. */
    async verify(token: string): Promise<KeylessPrincipal> {
      const nowSeconds = Math.floor(now() / 1000)
      const hit = cache.get(token, nowSeconds, tolerance)
      if (hit) return principalOf(hit)
      let payload: KeylessPrincipal['claims']
      try {
        ;({ payload } = await jwtVerify(token, jwks, {
          algorithms,
          issuer,
          audience: options.audience,
          clockTolerance: tolerance,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'oid', 'tid'],
        }))
      } catch (e) {
        throw translate(e)
      }
      if (payload.tid !== options.tenantId) {
        throw new KeylessVerifyError(
          'ERR_KEYLESS_TOKEN_ISSUER',
          'the token belongs to another tenant',
        )
      }
      cache.set(token, payload)
      return principalOf(payload)
    },
  }
}

function translate(e: unknown): KeylessVerifyError {
  if (e instanceof errors.JWTExpired)
    return new KeylessVerifyError('ERR_KEYLESS_TOKEN_EXPIRED', 'the token has expired', {
      cause: e,
    })
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud')
      return new KeylessVerifyError(
        'ERR_KEYLESS_TOKEN_AUDIENCE',
        'the token is for another audience',
        { cause: e },
      )
    if (e.claim === 'iss')
      return new KeylessVerifyError(
        'ERR_KEYLESS_TOKEN_ISSUER',
        'the token is from another issuer',
        { cause: e },
      )
    return new KeylessVerifyError(
      'ERR_KEYLESS_TOKEN_INVALID',
      `the token's '${e.claim}' claim is invalid`,
      { cause: e },
    )
  }
  // Keyless unreachable or answering garbage is not the caller's fault: 503, not 401.
  const unavailable =
    !(e instanceof errors.JOSEError) ||
    e.code === 'ERR_JWKS_TIMEOUT' ||
    e.code === 'ERR_JWKS_INVALID'
  if (unavailable) {
    return new KeylessVerifyError(
      'ERR_KEYLESS_UNAVAILABLE',
      'the signing keys could not be fetched',
      { cause: e },
    )
  }
  return new KeylessVerifyError('ERR_KEYLESS_TOKEN_INVALID', 'the token is invalid', { cause: e })
}

export type Verifier = ReturnType<typeof createVerifier>
