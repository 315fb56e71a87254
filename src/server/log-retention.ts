// Retention of the sign-in and activity logs: entries older than the configured number of days
// are pruned once at start and then hourly. Pruning deletes the oldest entries only and keeps
// the last deleted entry's hash as the chain's anchor (store/logs/chained-log-store.ts), so
// `keyless logs verify` still checks every remaining entry from there.
import type { Clock } from '../domain/clock.js'
import type { Store } from '../store/store.js'

export interface LogRetentionOptions {
  store: Pick<Store, 'signIns' | 'activity'>
  clock: Clock
  retentionMs: number
  onError: (err: unknown) => void
  everyMs?: number
  /** The first prune, after start (default 1 s: not on the start's critical path). */
  firstAfterMs?: number
}

export function startLogRetention(o: LogRetentionOptions): { stop(): void } {
  const prune = async () => {
    const before = o.clock.now() - o.retentionMs
    try {
      await o.store.signIns.prune(before)
      await o.store.activity.prune(before)
    } catch (err) {
      o.onError(err)
    }
  }
  const first = setTimeout(() => void prune(), o.firstAfterMs ?? 1000)
  const timer = setInterval(() => void prune(), o.everyMs ?? 3_600_000)
  first.unref()
  timer.unref()
  return {
    stop() {
      clearTimeout(first)
      clearInterval(timer)
    },
  }
}
