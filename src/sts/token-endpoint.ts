// POST /{tenant}/oauth2/v2.0/token and /{tenant}/oauth2/token: the client credentials grant.
// The pipeline, one step each: read the request (token-request.ts) → authenticate the client
// (authenticate-client.ts) → run the grant for that kind of client (grants.ts) → mint.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import { tokenEndpointPath } from '../common/agent-protocol.js'
import type { FormBody } from '../common/form-body.js'
import type { Clock } from '../domain/clock.js'
import { buildAccessTokenClaims, type AccessTokenClaims } from '../domain/token-claims.js'
import type { RevocableClaims } from '../domain/token-revocation.js'
import { latestExpiry, type RotationPolicy } from '../domain/key-rotation.js'
import type { KeyRing } from './key-ring.js'
import { signAccessToken } from './mint.js'
import { readTokenRequest, type TokenVersion } from './token-request.js'
import type { TenantGuard } from './tenant.js'
import type { ClientAuthenticator } from './authenticate-client.js'
import type { DirectoryView } from './directory-view.js'
import type { RunGrant } from './grants.js'
import { signInRecord, type RecordSignIn, type SignInFacts } from './sign-in-log.js'

export interface TokenEndpointOptions {
  authority: () => string
  /** The `iss` of a token for `audience`: the v1 issuer, or the public one (oidc-issuer.ts). */
  issuerFor: (tenantId: string, audience: string) => string
  tenant: TenantGuard
  keyRing: KeyRing
  clock: Clock
  policy: RotationPolicy
  authenticateClient: ClientAuthenticator
  runGrant: RunGrant
  /** Directory reads, exact as of each request (see directory-view.ts). */
  directory: DirectoryView
  /** Whether verifiers would refuse these claims (server's token revocations). */
  isRevoked: (claims: RevocableClaims) => boolean
  /** The sign-in log (sign-in-log.ts); unset, nothing is recorded. */
  recordSignIn?: RecordSignIn
}

// Revocations have the resolution of `iat` (seconds): a token issued in the second of a
// revocation that it outlives (an identity detached and attached again at once) would be refused
// by every verifier. Such a request waits for the next second; only one that comes right after a
// revocation ever waits. Past the longest wait (another replica's clock ahead of this one) the
// token is issued anyway and verifiers accept it once their clocks pass the revocation.
const LONGEST_REVOCATION_WAIT_MS = 1500
const untilNextSecond = (now: number) =>
  new Promise((resolve) => setTimeout(resolve, 1000 - (now % 1000) + 1))

/** How far a request got, for its sign-in entry; `recorded` once an entry was offered. */
type Progress = Partial<Pick<SignInFacts, 'tokenRequest' | 'client' | 'grant'>> & {
  recorded?: boolean
}

export function registerTokenEndpoint(app: FastifyInstance, o: TokenEndpointOptions): void {
  /** The pipeline of one request; `facts` says how far it got, for its sign-in entry. */
  async function issue(
    req: FastifyRequest<{ Params: { tenant: string } }>,
    reply: FastifyReply,
    version: TokenVersion,
    startedAt: number,
    facts: Progress,
  ) {
    const tenantId = o.tenant.resolve(req.params.tenant)
    const request = readTokenRequest(
      req.body as FormBody | undefined,
      req.headers.authorization as string | undefined,
      version,
    )
    const context = {
      tenantId,
      endpoint: `${o.authority()}${tokenEndpointPath(tenantId, version)}`,
      reads: o.directory(),
      peer: req.raw.socket,
    }
    facts.tokenRequest = request
    const client = await o.authenticateClient(request, context)
    facts.client = client
    const grant = await o.runGrant(request, client, context)
    facts.grant = grant
    const key = await o.keyRing.signingKey()
    const claimsAt = (now: number): AccessTokenClaims =>
      buildAccessTokenClaims({
        issuer: o.issuerFor(tenantId, request.resource),
        audience: request.resource,
        tenantId,
        subject: grant.subject,
        now,
        expiresAt: Math.min(now + grant.lifetimeMs, latestExpiry(key, o.policy, now)),
        tokenId: randomUUID(),
      })
    const deadline = performance.now() + LONGEST_REVOCATION_WAIT_MS
    let claims = claimsAt(o.clock.now())
    while (o.isRevoked(claims) && performance.now() < deadline) {
      await untilNextSecond(o.clock.now())
      claims = claimsAt(o.clock.now())
    }
    const accessToken = signAccessToken(claims, key)
    if (o.recordSignIn) {
      // Fail closed: the token is sent only once its sign-in entry has committed.
      facts.recorded = true
      const record = signInRecord({
        ...facts,
        request: req,
        version,
        startedAt,
        now: o.clock.now(),
        tokenId: claims.uti,
      })
      await o.recordSignIn(record)
    }
    const expiresIn = claims.exp - claims.iat
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    if (version === 'v2') {
      return {
        token_type: 'Bearer',
        expires_in: expiresIn,
        ext_expires_in: expiresIn,
        access_token: accessToken,
        ...grant.response,
      }
    }
    return {
      token_type: 'Bearer',
      expires_in: String(expiresIn),
      ext_expires_in: String(expiresIn),
      expires_on: String(claims.exp),
      not_before: String(claims.nbf),
      resource: request.resource,
      access_token: accessToken,
      ...grant.response,
    }
  }

  const handler = (version: TokenVersion) =>
    async function token(req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) {
      const facts: Progress = {}
      const startedAt = performance.now()
      try {
        return await issue(req, reply, version, startedAt, facts)
      } catch (error) {
        // A refusal is recorded too; if even that cannot be written, the refusal still stands
        // (nothing was issued) and the failure is logged.
        if (o.recordSignIn && !facts.recorded) {
          const record = signInRecord({
            ...facts,
            request: req,
            version,
            startedAt,
            now: o.clock.now(),
            error,
          })
          await o.recordSignIn(record).catch((err: unknown) => {
            req.log.error({ err }, 'sign-in log write failed for a refused request')
          })
        }
        throw error
      }
    }
  // At the default level (info) Fastify logs two lines per request: at thousands of tokens per
  // second, CPU spent on lines that bury the ones that matter. Here an issued token logs nothing,
  // a refused request one warning, and a 5xx is logged by the error handler. Other levels keep
  // their meaning: debug still shows every request, warn the refusals, error only failures.
  const logLevel = app.log.level === 'info' ? 'warn' : undefined
  app.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) {
      req.log.warn({ req, res: reply, responseTime: reply.elapsedTime }, 'token request refused')
    }
    done()
  })
  for (const version of ['v1', 'v2'] as const) {
    app.post<{ Params: { tenant: string } }>(
      tokenEndpointPath(':tenant', version),
      // Issuing a token changes no directory state, so it does not wait for the change feed.
      { logLevel, config: { commitsNoChanges: true } },
      handler(version),
    )
  }
}
