// Following Keyless's revocation feed (common/revocation-feed.ts) from a user's service: one
// long-poll at a time, each answer a JWT verified against the same JWKS as the tokens, so a
// revoked token (domain/token-revocation.ts) is refused here within about a second. Fails
// closed: until the first page arrives, and whenever no page has arrived for `staleAfterMs`
// (the feed answers at least every 25 s), verification answers 503 rather than trusting
// tokens it cannot check.
import { jwtVerify, type JWTVerifyGetKey } from 'jose'
import {
  REVOCATION_FEED_MAX_WAIT_SECONDS,
  REVOCATION_FEED_TYPE,
  type RevocationFeedPage,
} from '../common/revocation-feed.js'
import {
  createRevocationSet,
  parseRevocation,
  type RevocableClaims,
} from '../domain/token-revocation.js'
import type { HttpsFetch } from './https-fetch.js'

export interface RevocationFollowerOptions {
  url: URL
  fetch: HttpsFetch
  getKey: JWTVerifyGetKey
  issuer: string
  algorithms: readonly string[]
  /** How long a tombstone is kept, in seconds: the longest token lifetime plus the skew. */
  retainSeconds: number
  staleAfterMs: number
  /** The time for JWT checks (epoch ms). */
  now: () => number
}

/** Why a verification could not consult the feed. */
export class RevocationFeedUnavailable extends Error {}

const RETRY_MS = 500

export function createRevocationFollower(o: RevocationFollowerOptions) {
  const revoked = createRevocationSet()
  let seq = 0
  let syncedAt: number | undefined // performance.now() of the last page
  let running = false
  let stopped = false
  let firstPage: Promise<void> | undefined
  let signalFirst: (() => void) | undefined

  async function fetchPage(wait: number): Promise<void> {
    const url = new URL(o.url)
    url.searchParams.set('after', String(seq))
    url.searchParams.set('wait', String(wait))
    const res = await o.fetch(url.href)
    if (res.status !== 200) throw new Error(`revocation feed answered ${res.status}`)
    const { payload } = await jwtVerify(await res.text(), o.getKey, {
      issuer: o.issuer,
      typ: REVOCATION_FEED_TYPE,
      algorithms: [...o.algorithms],
      currentDate: new Date(o.now()),
      requiredClaims: ['exp', 'iat'],
    })
    const page = payload as unknown as RevocationFeedPage
    if (!Number.isSafeInteger(page.seq) || !Array.isArray(page.tombstones))
      throw new Error('revocation feed page is malformed')
    // A page of the first feed version lists deleted principals only.
    const listed: unknown[] = Array.isArray(page.revocations) ? page.revocations : page.tombstones
    for (const value of listed) {
      const r = parseRevocation(value)
      if (r) revoked.add(r)
    }
    revoked.prune(Math.floor(o.now() / 1000) - o.retainSeconds)
    seq = page.seq
    syncedAt = performance.now()
    signalFirst?.()
  }

  async function follow(): Promise<void> {
    let wait = 0 // the first page at once, then long polls
    while (!stopped) {
      try {
        await fetchPage(wait)
        wait = REVOCATION_FEED_MAX_WAIT_SECONDS
      } catch {
        if (stopped) return
        await new Promise((r) => setTimeout(r, RETRY_MS).unref())
      }
    }
  }

  return {
    /** Whether the last page is recent enough to decide on (the common, synchronous case). */
    isCurrent: (): boolean =>
      syncedAt !== undefined && performance.now() - syncedAt <= o.staleAfterMs,

    /** Resolves once the feed is current; throws RevocationFeedUnavailable otherwise. */
    async ensureCurrent(timeoutMs: number): Promise<void> {
      if (syncedAt !== undefined && performance.now() - syncedAt <= o.staleAfterMs) return
      if (!running) {
        running = true
        firstPage = new Promise<void>((r) => (signalFirst = r))
        void follow()
      }
      if (syncedAt === undefined) {
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new RevocationFeedUnavailable('the revocation feed is unreachable')),
            timeoutMs,
          )
          timer.unref()
        })
        try {
          await Promise.race([firstPage, timeout])
        } finally {
          clearTimeout(timer)
        }
        return
      }
      throw new RevocationFeedUnavailable('the revocation feed is stale')
    },

    /** Whether a revocation on the feed covers the token. */
    isRevoked: (claims: RevocableClaims): boolean => revoked.isRevoked(claims),

    stop(): void {
      stopped = true
    },
  }
}
