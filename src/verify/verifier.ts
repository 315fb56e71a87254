// Verifying Keyless access tokens in a user's own service, under the same token policy as
// Keyless's own services (domain/token-policy.ts): JWKS fetched from Keyless, cached, and
// refetched on an unknown `kid` at most once per cooldown (jose's remote JWKS set); exactly the
// installation's algorithms; issuer, tenant, audience and lifetime checked with a bounded clock
// tolerance; and a bounded cache of tokens already verified. The key jose chose for a header is
// remembered, so the next token with that header is handed to jose with its key.
import type { FetchImplementation, JWTPayload } from 'jose'
import { TokenRejected } from '../common/access-token.js'
import { isKeySourceFailure, verifyUnderPolicy } from '../common/token-verification.js'
import { revocationFeedPath } from '../common/revocation-feed.js'
import { checkPolicy } from '../domain/token-policy.js'
import type { RevocableClaims } from '../domain/token-revocation.js'
import { KeylessVerifyError, type VerifyErrorCode } from './errors.js'
import { createHttpsFetch } from './https-fetch.js'
import { createJwksKeys } from './jwks-keys.js'
import { createRevocationFollower } from './revocations.js'
import { Doorkeeper, VerifiedTokenCache } from './token-cache.js'

export interface VerifierOptions {
  /** Keyless's authority host, e.g. `https://127.0.0.1:8443` (endpoints.json `authorityHost`). */
  authority: string
  tenantId: string
  /** The audience (or audiences) this service accepts, e.g. `api://orders`. */
  audience: string | string[]
  /** The algorithms the installation signs with (its `signingAlgorithm`); anything else
   * (including `none` and HS*) is refused. Default RS256. */
  algorithms?: ('RS256' | 'ES256' | 'EdDSA')[]
  /** Seconds of clock skew tolerated on exp/nbf/iat, at most 300. Default 60. */
  clockToleranceSeconds?: number
  /** The longest token lifetime the installation issues (the larger of its
   * `tokenLifetimeSeconds` and `appTokenLifetimeSeconds`). Default 86,400 (24 h). */
  maxTokenLifetimeSeconds?: number
  /** PEM of Keyless's CA when the service does not trust it system-wide. */
  ca?: string | Buffer
  /** How many verified tokens to remember, from their second use (0 disables). Default 10,000. */
  cacheSize?: number
  /** Minimum time between JWKS refetches caused by unknown key ids. Default 30 s. */
  jwksCooldownMs?: number
  /** Follow Keyless's revocation feed, refusing tokens of principals deleted after they were
   * issued (within about a second of the deletion). Default true; when the feed cannot be
   * reached, verification answers 503 (fail closed). */
  revocation?: boolean
  /** How old the last revocation page may be before verification answers 503. Default 60 s
   * (the feed answers at least every 25 s). */
  revocationStaleAfterMs?: number
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
  const tolerance = options.clockToleranceSeconds ?? 60
  const policy = checkPolicy({
    issuer,
    tenantId: options.tenantId,
    algorithms: options.algorithms ?? ['RS256'],
    maxLifetimeSeconds: options.maxTokenLifetimeSeconds ?? 86_400,
    skewSeconds: tolerance,
  })
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience
  const now = options.now ?? Date.now
  const keys = createJwksKeys(new URL(`${authority}/${options.tenantId}/discovery/v2.0/keys`), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: 10 * 60_000,
    fetch: createHttpsFetch({ ca: options.ca }) as FetchImplementation,
  })
  const revocations =
    options.revocation === false
      ? undefined
      : createRevocationFollower({
          url: new URL(`${authority}${revocationFeedPath(options.tenantId)}`),
          fetch: createHttpsFetch({ ca: options.ca, timeoutMs: 35_000, unref: true }),
          getKey: keys.getKey,
          issuer,
          algorithms: policy.algorithms,
          retainSeconds: policy.maxLifetimeSeconds + policy.skewSeconds,
          staleAfterMs: options.revocationStaleAfterMs ?? 60_000,
          now,
        })
  const notRevoked = async (claims: KeylessPrincipal['claims']) => {
    if (!revocations) return
    if (!revocations.isCurrent()) {
      try {
        await revocations.ensureCurrent(5_000)
      } catch (e) {
        throw new KeylessVerifyError(
          'ERR_KEYLESS_UNAVAILABLE',
          'the revocation feed is unavailable',
          {
            cause: e,
          },
        )
      }
    }
    if (revocations.isRevoked(claims as unknown as RevocableClaims)) {
      throw new KeylessVerifyError(
        'ERR_KEYLESS_TOKEN_REVOKED',
        'the token has been revoked: its principal was deleted, its identity detached, or its resource deleted or host revoked',
      )
    }
  }
  const cacheSize = options.cacheSize ?? 10_000
  const cache = new VerifiedTokenCache<KeylessPrincipal['claims']>(cacheSize)
  const doorkeeper = new Doorkeeper(cacheSize)

  const principalOf = (claims: KeylessPrincipal['claims']): KeylessPrincipal => ({
    objectId: String(claims.oid),
    appId: String(claims.appid),
    tenantId: String(claims.tid),
    ...(typeof claims.xms_mirid === 'string'
      ? { managedIdentityResourceId: claims.xms_mirid }
      : {}),
    claims,
  })

  async function verifyFresh(token: string, nowMs: number): Promise<KeylessPrincipal['claims']> {
    // Tokens signed by the same key share their header bytes: after the first, jose gets the
    // key itself instead of a key function.
    const dot = token.indexOf('.')
    const header = dot < 0 || dot > 512 ? '' : token.slice(0, dot)
    const known = keys.keyForHeader(header)
    try {
      const verified = await verifyUnderPolicy(token, known ?? keys.getKey, policy, nowMs)
      if (verified.key) keys.rememberHeader(header, verified.key)
      return verified.claims as KeylessPrincipal['claims']
    } catch (e) {
      throw translate(e)
    }
  }

  return {
    issuer,

    /** Verifies a bearer token; throws KeylessVerifyError (401) when it is not acceptable. */
    async verify(token: string): Promise<KeylessPrincipal> {
      const nowMs = now()
      const hit = cache.get(token, Math.floor(nowMs / 1000), tolerance)
      if (hit) {
        await notRevoked(hit)
        return principalOf(hit)
      }
      const claims = await verifyFresh(token, nowMs)
      if (!audiences.includes(String(claims.aud))) {
        throw new KeylessVerifyError(
          'ERR_KEYLESS_TOKEN_AUDIENCE',
          'the token is for another audience',
        )
      }
      await notRevoked(claims)
      if (cacheSize > 0 && doorkeeper.admit(token)) cache.set(token, claims)
      return principalOf(claims)
    },

    /** Stops following the revocation feed (the process may exit without it). */
    close(): void {
      revocations?.stop()
    },
  }
}

const CODES: Record<TokenRejected['reason'], [VerifyErrorCode, string]> = {
  malformed: ['ERR_KEYLESS_TOKEN_INVALID', 'the token is invalid'],
  signature: ['ERR_KEYLESS_TOKEN_INVALID', 'the token is invalid'],
  claims: ['ERR_KEYLESS_TOKEN_INVALID', 'the token is invalid'],
  'not-yet-valid': ['ERR_KEYLESS_TOKEN_INVALID', "the token's 'nbf' claim is invalid"],
  expired: ['ERR_KEYLESS_TOKEN_EXPIRED', 'the token has expired'],
  issuer: ['ERR_KEYLESS_TOKEN_ISSUER', 'the token is from another issuer'],
  audience: ['ERR_KEYLESS_TOKEN_AUDIENCE', 'the token is for another audience'],
}

function translate(e: unknown): KeylessVerifyError {
  if (e instanceof TokenRejected) {
    const [code, fallback] = CODES[e.reason]
    const message = code === 'ERR_KEYLESS_TOKEN_INVALID' ? `${fallback}: ${e.message}` : fallback
    return new KeylessVerifyError(code, message, { cause: e })
  }
  // Keyless unreachable or answering garbage is not the caller's fault: 503, not 401.
  if (isKeySourceFailure(e)) {
    return new KeylessVerifyError(
      'ERR_KEYLESS_UNAVAILABLE',
      'the signing keys could not be fetched',
      { cause: e },
    )
  }
  return new KeylessVerifyError('ERR_KEYLESS_TOKEN_INVALID', 'the token is invalid', { cause: e })
}

export type Verifier = ReturnType<typeof createVerifier>
