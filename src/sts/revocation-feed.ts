// Serving the revocation feed (common/revocation-feed.ts) from the revocations in force on this
// replica (directory/token-revocations.ts: the log since the oldest token still valid, then
// live). `GET …/revocations?after=<seq>&wait=<s>` answers at once when there is news after
// `seq`, else when news arrives or `wait` seconds pass, with a JWT signed by the current token
// key.
import type { FastifyInstance } from 'fastify'
import { SignJWT } from 'jose'
import {
  REVOCATION_FEED_MAX_WAIT_SECONDS,
  REVOCATION_FEED_TYPE,
  revocationFeedPath,
  type RevocationFeedPage,
} from '../common/revocation-feed.js'
import { oauthError } from '../common/oauth-error.js'
import type { Clock } from '../domain/clock.js'
import type { ChangeFeed } from '../directory/change-feed.js'
import type { TokenRevocations } from '../directory/token-revocations.js'
import type { KeyRing } from './key-ring.js'
import type { TenantGuard } from './tenant.js'

export interface RevocationFeedOptions {
  feed: Pick<ChangeFeed, 'subscribe' | 'position'>
  revocations: Pick<TokenRevocations, 'after' | 'onRevocation'>
  keyRing: KeyRing
  clock: Clock
  tenant: TenantGuard
  issuer: () => string
}

const NON_NEGATIVE_INTEGER = /^(0|[1-9][0-9]{0,15})$/

export function registerRevocationFeed(app: FastifyInstance, o: RevocationFeedOptions): void {
  const waiting = new Set<() => void>()
  const wake = () => {
    for (const w of [...waiting]) w()
  }
  const unsubscribe = o.revocations.onRevocation(wake)
  app.addHook('preClose', async () => wake())
  app.addHook('onClose', async () => unsubscribe())

  const page = async (after: number) => {
    const revocations = o.revocations.after(after).map((x) => x.revocation)
    const claims: RevocationFeedPage = {
      seq: o.feed.position(),
      tombstones: revocations.flatMap((r) => ('oid' in r ? [{ oid: r.oid, revokedAt: r.at }] : [])),
      revocations,
    }
    const key = await o.keyRing.signingKey()
    const now = Math.floor(o.clock.now() / 1000)
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: key.alg, typ: REVOCATION_FEED_TYPE, kid: key.kid })
      .setIssuer(o.issuer())
      .setIssuedAt(now)
      .setExpirationTime(now + 2 * REVOCATION_FEED_MAX_WAIT_SECONDS)
      .sign(key.privateKey)
  }

  app.get<{ Params: { tenant: string }; Querystring: Record<string, unknown> }>(
    revocationFeedPath(':tenant'),
    async (req, reply) => {
      o.tenant.resolve(req.params.tenant)
      const after = integerParam(req.query.after, 0)
      const wait = Math.min(integerParam(req.query.wait, 0), REVOCATION_FEED_MAX_WAIT_SECONDS)
      if (wait > 0 && o.revocations.after(after).length === 0 && o.feed.position() <= after) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer)
            waiting.delete(done)
            resolve()
          }
          const timer = setTimeout(done, wait * 1000)
          waiting.add(done)
          req.raw.once('close', done)
        })
      }
      return reply
        .header('cache-control', 'no-store')
        .type('application/jwt')
        .send(await page(after))
    },
  )
}

function integerParam(value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !NON_NEGATIVE_INTEGER.test(value)) {
    throw oauthError(
      400,
      'invalid_request',
      900144,
      "'after' and 'wait' must be non-negative integers.",
    )
  }
  return Number(value)
}
