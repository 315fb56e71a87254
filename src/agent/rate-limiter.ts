// Per-caller limits of the identity endpoints, as Azure IMDS applies them to the identity
// category: 20 requests per second and 5 concurrent requests per VM (identity-protocols.md §3).
// A token bucket per caller (burst = the per-second rate) plus a concurrency count; callers are
// compute resources, so the map stays as small as the number of runs.
import type { Clock } from '../domain/clock.js'

export interface RateLimits {
  /** Requests per second (default 20). */
  perSecond: number
  /** Requests in progress at once (default 5). */
  concurrent: number
}

export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({ perSecond: 20, concurrent: 5 })

export type Admission = { ok: true; release: () => void } | { ok: false; retryAfterS: number }

interface Bucket {
  tokens: number
  updatedAt: number
  active: number
}

export type RateLimiter = ReturnType<typeof createRateLimiter>

export function createRateLimiter(clock: Clock, limits: RateLimits = DEFAULT_RATE_LIMITS) {
  if (!(limits.perSecond > 0) || !(limits.concurrent >= 1)) {
    throw new TypeError('rate limits must be positive (perSecond > 0, concurrent ≥ 1)')
  }
  const capacity = Math.max(1, limits.perSecond)
  const buckets = new Map<string, Bucket>()

  return {
    /** Admits one request of `caller`, or says how many seconds to wait (`Retry-After`). */
    admit(caller: string): Admission {
      const now = clock.now()
      let b = buckets.get(caller)
      if (!b) {
        b = { tokens: capacity, updatedAt: now, active: 0 }
        buckets.set(caller, b)
      } else {
        const refill = ((now - b.updatedAt) / 1000) * limits.perSecond
        b.tokens = Math.min(capacity, b.tokens + refill)
        b.updatedAt = now
      }
      if (b.active >= limits.concurrent) return { ok: false, retryAfterS: 1 }
      if (b.tokens < 1) {
        return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / limits.perSecond)) }
      }
      b.tokens -= 1
      b.active++
      const bucket = b
      let released = false
      return {
        ok: true,
        release: () => {
          if (released) return
          released = true
          bucket.active--
        },
      }
    },
    /** Forgets a caller (its run ended). */
    forget(caller: string): void {
      buckets.delete(caller)
    },
  }
}
