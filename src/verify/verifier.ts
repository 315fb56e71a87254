// Verifying Keyless access tokens in a user's own service: JWKS fetched from Keyless, cached,
// and refetched on an unknown `kid` at most once per cooldown (jose's remote JWKS set); a strict
// algorithm allow-list; issuer, audience and lifetime checked with a small clock tolerance; and
// a bounded cache of tokens already verified. A token not in the cache goes straight to jose's
// jwtVerify, with options built once and the key jose chose for its header remembered.
import { errors, jwtVerify, type CryptoKey, type FetchImplementation, type JWTPayload } from 'jose'
import { KeylessVerifyError } from './errors.js'
import { createHttpsFetch } from './https-fetch.js'
import { createJwksKeys } from './jwks-keys.js'
import { Doorkeeper, VerifiedTokenCache } from './token-cache.js'

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
  /** How many verified tokens to remember, from their second use (0 disables). Default 10,000. */
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

/**
 * Verifies Keyless access tokens: signature against Keyless's JWKS (cached, refetched on an
 * unknown key id at most once per cooldown), a strict algorithm allow-list, issuer, audience,
 * tenant and lifetime, with a bounded cache of tokens already verified.
 *
 * @example
 * ```js
 * import { createVerifier } from 'keyless/verify'
 * const endpoints = JSON.parse(fs.readFileSync('.keyless/endpoints.json', 'utf8'))
 * const verifier = createVerifier({
 *   authority: endpoints.authorityHost,
 *   tenantId: endpoints.tenantId,
 *   audience: 'api://orders',
 *   ca: fs.readFileSync(endpoints.caCertFile), // unless NODE_EXTRA_CA_CERTS already trusts it
 * })
 * const caller = await verifier.verify(token) // throws KeylessVerifyError (status 401)
 * console.log(caller.objectId, caller.managedIdentityResourceId)
 * ```
 */
export function createVerifier(options: VerifierOptions) {
  const authority = options.authority.replace(/\/+$/, '')
  const issuer = `${authority}/${options.tenantId}/`
  const algorithms = options.algorithms ?? ['RS256']
  if (algorithms.length === 0) throw new TypeError('algorithms must not be empty')
  const tolerance = options.clockToleranceSeconds ?? 60
  const now = options.now ?? Date.now
  const keys = createJwksKeys(new URL(`${authority}/${options.tenantId}/discovery/v2.0/keys`), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: 10 * 60_000,
    fetch: createHttpsFetch({ ca: options.ca }) as FetchImplementation,
  })
  const cacheSize = options.cacheSize ?? 10_000
  const cache = new VerifiedTokenCache<KeylessPrincipal['claims']>(cacheSize)
  const doorkeeper = new Doorkeeper(cacheSize)
  const verifyOptions = {
    algorithms,
    issuer,
    audience: options.audience,
    clockTolerance: tolerance,
    requiredClaims: ['exp', 'oid', 'tid'],
  }
  // jose reads the real clock itself; a date is passed only when the clock is injected.
  const optionsAt = options.now
    ? (nowMs: number) => ({ ...verifyOptions, currentDate: new Date(nowMs) })
    : () => verifyOptions

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
      const nowMs = now()
      const hit = cache.get(token, Math.floor(nowMs / 1000), tolerance)
      if (hit) return principalOf(hit)
      // Tokens signed by the same key share their header bytes: after the first, jose gets the
      // key itself instead of a key function.
      const dot = token.indexOf('.')
      const header = dot < 0 ? '' : token.slice(0, dot)
      const key = keys.keyForHeader(header)
      let payload: KeylessPrincipal['claims']
      try {
        if (key) {
          ;({ payload } = await jwtVerify(token, key, optionsAt(nowMs)))
        } else {
          const verified = await jwtVerify(token, keys.getKey, optionsAt(nowMs))
          payload = verified.payload
          keys.rememberHeader(header, verified.key as CryptoKey)
        }
      } catch (e) {
        throw translate(e)
      }
      if (payload.tid !== options.tenantId) {
        throw new KeylessVerifyError(
          'ERR_KEYLESS_TOKEN_ISSUER',
          'the token belongs to another tenant',
        )
      }
      if (cacheSize > 0 && doorkeeper.admit(token)) cache.set(token, payload)
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
