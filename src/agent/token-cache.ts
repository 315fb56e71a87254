// The agent's token cache, keyed by (calling resource, selector, audience as requested).
// - Refresh ahead: once less than a third of a token's lifetime (or 5 minutes) is left, the next
//   request triggers a background refresh and is still answered from the cache.
// - Outages: a cached token is served until it expires, whatever the server does meanwhile;
//   only a definitive refusal (a 4xx other than 408/429) drops it. Failed refreshes of a key are
//   retried with jittered exponential backoff (backoff.ts), so keys that failed together during
//   an outage come back spread out when the server returns.
// - One request per key at a time reaches the server (single flight).
// - Purges (from the change stream) drop entries at once, and a request in flight while a purge
//   runs is asked again rather than cached, so a detach is never undone by a late answer.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import { parseResourceId } from '../domain/resource-id.js'
import { backoffDelay } from './backoff.js'
import {
  TokenRequestError,
  type IssuedToken,
  type Selector,
  type TokenRequest,
  type TokenSource,
} from './token-source.js'

export interface TokenCacheOptions {
  source: TokenSource
  clock: Clock
  /** Refresh once less than this share of the lifetime is left (default 1/3)… */
  refreshRatio?: number
  /** …or less than this (default 5 minutes). */
  refreshMarginMs?: number
  /** Spacing of background refresh attempts for one key (default 10 s), doubled after each
   * failed attempt up to `refreshRetryMaxMs` (default 5 minutes), jittered. */
  refreshRetryMs?: number
  refreshRetryMaxMs?: number
  /** In [0, 1): the jitter (default Math.random). */
  random?: () => number
  /** Oldest entries are evicted beyond this (default 10 000). */
  maxEntries?: number
  /** A forced refresh of the same request at most this often (default 5 s). */
  forcedRefreshIntervalMs?: number
  onRefreshError?: (err: unknown, request: TokenRequest) => void
}

interface Entry {
  token: IssuedToken
  callerKey: string
  objectKey: string
  msiResKey: string
  refreshAt: number
  nextAttemptAt: number
  /** Background refreshes that failed in a row. */
  failures: number
}

interface Flight {
  callerKey: string
  promise: Promise<IssuedToken>
  purged: boolean
}

export type TokenCache = ReturnType<typeof createTokenCache>

/** Lower-case form of an ARM id (`//` collapsed), or the plain lower-case string if unparseable. */
export function resourceKey(id: string): string {
  try {
    return parseResourceId(id).key
  } catch {
    return id.toLowerCase()
  }
}

export function selectorKey(selector: Selector | undefined): string {
  if (!selector) return ''
  const value =
    selector.kind === 'resourceId' ? resourceKey(selector.value) : selector.value.toLowerCase()
  return `${selector.kind}:${value}`
}

/** A client may force a refresh of the same token at most this often. */
export const FORCED_REFRESH_INTERVAL_MS = 5_000

function isToken(entry: Entry, sha256Hex: string): boolean {
  const digest = createHash('sha256').update(entry.token.accessToken).digest()
  const given = Buffer.from(sha256Hex, 'hex')
  return given.length === digest.length && timingSafeEqual(given, digest)
}

export function createTokenCache(o: TokenCacheOptions) {
  const ratio = o.refreshRatio ?? 1 / 3
  const margin = o.refreshMarginMs ?? 300_000
  const retryMs = o.refreshRetryMs ?? 10_000
  const backoff = { initialMs: retryMs, maxMs: Math.max(retryMs, o.refreshRetryMaxMs ?? 300_000) }
  const random = o.random ?? Math.random
  const stats = { hits: 0, misses: 0, refreshes: 0, refreshFailures: 0, forcedRefreshes: 0 }
  const forcedIntervalMs = o.forcedRefreshIntervalMs ?? FORCED_REFRESH_INTERVAL_MS
  const lastForced = new Map<string, number>()
  const maxEntries = o.maxEntries ?? 10_000
  const entries = new Map<string, Entry>()
  const flights = new Map<string, Flight>()

  const keyOf = (r: TokenRequest) =>
    `${r.callerResourceId.toLowerCase()}\n${selectorKey(r.selector)}\n${r.resource}`

  function store(key: string, request: TokenRequest, token: IssuedToken): void {
    const now = o.clock.now()
    const lifetime = token.expiresOn * 1000 - now
    entries.delete(key)
    if (lifetime <= 0) return
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!)
    entries.set(key, {
      token,
      callerKey: request.callerResourceId.toLowerCase(),
      objectKey: token.objectId.toLowerCase(),
      msiResKey: resourceKey(token.msiResId),
      refreshAt: now + Math.max(0, lifetime - Math.max(lifetime * ratio, margin)),
      nextAttemptAt: now + retryMs,
      failures: 0,
    })
  }

  function fetch(key: string, request: TokenRequest): Promise<IssuedToken> {
    const running = flights.get(key)
    if (running) return running.promise
    const flight: Flight = {
      callerKey: request.callerResourceId.toLowerCase(),
      purged: false,
      promise: undefined as unknown as Promise<IssuedToken>,
    }
    flight.promise = (async () => {
      try {
        const token = await o.source.requestToken(request)
        if (!flight.purged) {
          store(key, request, token)
          return token
        }
        // A purge ran while the server answered: ask again, under the state after the purge.
        return await o.source.requestToken(request)
      } finally {
        flights.delete(key)
      }
    })()
    flights.set(key, flight)
    return flight.promise
  }

  function refreshInBackground(key: string, request: TokenRequest, entry: Entry) {
    // Until this attempt ends, no other starts; then the backoff decides the next one.
    entry.nextAttemptAt = Number.POSITIVE_INFINITY
    stats.refreshes++
    fetch(key, request).catch((err: unknown) => {
      stats.refreshFailures++
      if (err instanceof TokenRequestError && !err.isTransient && entries.get(key) === entry) {
        entries.delete(key)
      }
      entry.failures++
      entry.nextAttemptAt = o.clock.now() + backoffDelay(backoff, entry.failures, random)
      o.onRefreshError?.(err, request)
    })
  }

  function cached(key: string, request: TokenRequest): IssuedToken | undefined {
    const entry = entries.get(key)
    if (!entry) return undefined
    const now = o.clock.now()
    if (now >= entry.token.expiresOn * 1000) {
      entries.delete(key)
      return undefined
    }
    if (now >= entry.refreshAt && now >= entry.nextAttemptAt && !flights.has(key)) {
      refreshInBackground(key, request, entry)
    }
    return entry.token
  }

  // In-flight requests do not know their identity yet: a purge by identity marks all of them.
  function purge(entryMatches: (e: Entry) => boolean, flightMatches: (f: Flight) => boolean) {
    let n = 0
    for (const [key, entry] of entries) {
      if (entryMatches(entry)) {
        entries.delete(key)
        n++
      }
    }
    for (const flight of flights.values()) if (flightMatches(flight)) flight.purged = true
    return n
  }

  return {
    /** The cached token if there is a usable one (the hot path: no promise involved). */
    peek(request: TokenRequest): IssuedToken | undefined {
      const token = cached(keyOf(request), request)
      if (token) stats.hits++
      return token
    },
    /** A token for the request: cached, or from the source (concurrent callers share one call). */
    get(request: TokenRequest): Promise<IssuedToken> {
      const key = keyOf(request)
      const token = cached(key, request)
      if (token) stats.hits++
      else stats.misses++
      return token ? Promise.resolve(token) : fetch(key, request)
    },
    /**
     * A token fetched past the cache (a client's forced refresh), at most once per
     * `forcedRefreshIntervalMs` for the same request, so that it cannot flood the server;
     * within it, or when `tokenSha256` names another token than the cached one (the client
     * holds an older token, and the cached one is already new), the cached token answers.
     */
    refresh(request: TokenRequest, tokenSha256?: string): Promise<IssuedToken> {
      const key = keyOf(request)
      const entry = entries.get(key)
      const now = o.clock.now()
      const recent = now - (lastForced.get(key) ?? Number.NEGATIVE_INFINITY) < forcedIntervalMs
      const other = entry !== undefined && tokenSha256 !== undefined && !isToken(entry, tokenSha256)
      if (entry && (recent || other)) return this.get(request)
      if (lastForced.size >= maxEntries) lastForced.clear()
      lastForced.set(key, now)
      entries.delete(key)
      stats.forcedRefreshes++
      return fetch(key, request)
    },
    /** Counts since start: answers from the cache, requests that were not, background refreshes
     * started and those that failed, forced refreshes. */
    get stats(): Readonly<typeof stats> {
      return { ...stats }
    },
    /** Every entry of a calling compute resource (`identity.detached`). */
    purgeCaller(resourceId: string): number {
      const k = resourceKey(resourceId)
      return purge(
        (e) => e.callerKey === k,
        (f) => f.callerKey === k,
      )
    },
    /** Every entry whose token belongs to this principal (`principal.deleted`). */
    purgeIdentity(objectId: string): number {
      const k = objectId.toLowerCase()
      return purge(
        (e) => e.objectKey === k,
        () => true,
      )
    },
    /** Entries of a resource, as caller or as user-assigned identity (`resource.*`). */
    purgeResource(resourceId: string): number {
      const k = resourceKey(resourceId)
      return purge(
        (e) => e.callerKey === k || e.msiResKey === k,
        () => true,
      )
    },
    clear(): number {
      return purge(
        () => true,
        () => true,
      )
    },
    get size(): number {
      return entries.size
    },
  }
}
