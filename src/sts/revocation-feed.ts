// Serving the revocation feed (common/revocation-feed.ts). Tombstones come from the change
// feed's `principal.deleted` events (the whole log at startup, then live) and are kept for as
// long as a token issued before the deletion could still be valid: the longest lifetime issued
// plus the clock skew. `GET …/revocations?after=<seq>&wait=<s>` answers at once when there is
// news after `seq`, else when news arrives or `wait` seconds pass, with a JWT signed by the
// current token key.
import type { FastifyInstance } from 'fastify'
import { SignJWT } from 'jose'
import {
  REVOCATION_FEED_MAX_WAIT_SECONDS,
  REVOCATION_FEED_TYPE,
  revocationFeedPath,
  type RevocationFeedPage,
  type Tombstone,
} from '../common/revocation-feed.js'
import { oauthError } from '../common/oauth-error.js'
import type { Clock } from '../domain/clock.js'
import type { ChangeFeed } from '../directory/change-feed.js'
import type { KeyRing } from './key-ring.js'
import type { TenantGuard } from './tenant.js'

export interface RevocationFeedOptions {
  feed: Pick<ChangeFeed, 'subscribe' | 'position'>
  keyRing: KeyRing
  clock: Clock
  tenant: TenantGuard
  issuer: () => string
  /** How long a tombstone matters: the longest token lifetime plus the skew. */
  retainMs: number
}

interface Entry extends Tombstone {
  seq: number
}

const NON_NEGATIVE_INTEGER = /^(0|[1-9][0-9]{0,15})$/

export function registerRevocationFeed(app: FastifyInstance, o: RevocationFeedOptions): void {
  let entries: Entry[] = []
  let position = 0
  const waiting = new Set<() => void>()
  const wake = () => {
    for (const w of [...waiting]) w()
  }
  o.feed.subscribe((e) => {
    position = Math.max(position, e.seq)
    if (e.kind !== 'principal.deleted') return
    entries.push({ seq: e.seq, oid: e.subject, revokedAt: Math.floor(e.at / 1000) })
    wake()
  })
  app.addHook('preClose', async () => wake())

  const news = (after: number) => {
    const horizon = Math.floor((o.clock.now() - o.retainMs) / 1000)
    if (entries.length && entries[0]!.revokedAt < horizon)
      entries = entries.filter((t) => t.revokedAt >= horizon)
    return entries.filter((t) => t.seq > after)
  }

  const page = async (after: number) => {
    const tombstones = news(after)
    const claims: RevocationFeedPage = {
      seq: position,
      tombstones: tombstones.map(({ oid, revokedAt }) => ({ oid, revokedAt })),
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
      if (wait > 0 && news(after).length === 0 && position <= after) {
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
