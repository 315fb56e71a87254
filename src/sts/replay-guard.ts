// Each client assertion is accepted once (RFC 7523 §3 item 7: "jti" may be used to prevent
// replay) in the whole installation: its id is recorded in the shared store, so replicas on one
// database refuse an assertion any of them accepted, until it could no longer pass verification.
// Expired records are swept at most once a minute, off the request path.
import type { Store } from '../store/store.js'

export interface ReplayGuard {
  /**
   * True the first time `id` is presented, false after. `forgetAt` (epoch ms) is when the
   * assertion stops being acceptable (its exp plus the clock tolerance); `now` is epoch ms.
   */
  firstUse(id: string, forgetAt: number, now: number): Promise<boolean>
}

export interface ReplayGuardOptions {
  store: Pick<Store, 'assertionIds'>
  /** Least time between sweeps of expired ids, ms (default 60 s). */
  sweepIntervalMs?: number
  /** Told when a sweep fails (the next one tries again). */
  onSweepError?: (err: unknown) => void
}

export function createReplayGuard(o: ReplayGuardOptions): ReplayGuard {
  const interval = o.sweepIntervalMs ?? 60_000
  let lastSweep = -Infinity
  let sweeping = false

  function sweep(now: number): void {
    if (sweeping || now - lastSweep < interval) return
    lastSweep = now
    sweeping = true
    o.store.assertionIds
      .prune(now)
      .catch((err: unknown) => o.onSweepError?.(err))
      .finally(() => {
        sweeping = false
      })
  }

  return {
    async firstUse(id, forgetAt, now) {
      sweep(now)
      // Kept through the whole second of forgetAt: never forgotten early.
      return o.store.assertionIds.claim(id, (Math.floor(forgetAt / 1000) + 1) * 1000, now)
    },
  }
}
