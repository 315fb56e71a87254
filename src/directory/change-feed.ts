// The change feed: every committed event, in sequence order, delivered to in-process
// subscribers (the agent stream, the RBAC index, caches). It polls the event log, which works
// the same for one SQLite process and for PostgreSQL replicas (each replica sees every other's
// commits), and `poke()` after a local commit skips the wait. With a 100 ms period, a committed
// change reaches every subscriber well within a second. Where the store can say when another
// process commits (PostgreSQL LISTEN/NOTIFY, store.watchCommits), that wakes the feed instead
// and the poll slows to a safety net: the log stays the truth, a lost wake-up costs one period.
import type { EventRow } from '../store/schema.js'
import type { Store } from '../store/store.js'

export interface ChangeEvent {
  seq: number
  at: number
  kind: string
  subject: string
  data: Record<string, unknown>
}

export type ChangeListener = (event: ChangeEvent) => void

export interface ChangeFeedOptions {
  store: Pick<Store, 'events'> & Partial<Pick<Store, 'watchCommits'>>
  intervalMs?: number
  /** The poll's period while commits wake the feed. */
  safetyNetIntervalMs?: number
  onError?: (err: unknown) => void
}

const toChange = (row: EventRow): ChangeEvent => ({
  seq: row.seq,
  at: row.at,
  kind: row.kind,
  subject: row.subject,
  data: JSON.parse(row.data) as Record<string, unknown>,
})

export function createChangeFeed({
  store,
  intervalMs = 100,
  safetyNetIntervalMs = 1000,
  onError,
}: ChangeFeedOptions) {
  const listeners = new Set<ChangeListener>()
  let last = 0
  let timer: NodeJS.Timeout | undefined
  let unwatch: (() => Promise<void>) | undefined
  let polling: Promise<void> | undefined

  async function pollOnce(): Promise<void> {
    for (;;) {
      const rows = await store.events.list(last, 500)
      for (const row of rows) {
        last = row.seq
        const event = toChange(row)
        for (const l of listeners) {
          try {
            l(event)
          } catch (err) {
            onError?.(err)
          }
        }
      }
      if (rows.length < 500) return
    }
  }

  // A poll in flight may have read the log before the caller's commit, so a caller that
  // arrives meanwhile waits for the poll after it: `poll()` resolves only once a read that
  // started after the call has delivered.
  let next: Promise<void> | undefined
  function poll(): Promise<void> {
    if (polling) {
      next ??= polling.then(() => {
        next = undefined
        return poll()
      })
      return next
    }
    polling = pollOnce()
      .catch((err) => onError?.(err))
      .finally(() => {
        polling = undefined
      })
    return polling
  }

  return {
    /** Starts from the current end of the log: subscribers see only what happens next. */
    async start(): Promise<void> {
      last = await store.events.last()
      unwatch = await store.watchCommits?.(() => void poll(), onError)
      timer = setInterval(() => void poll(), unwatch ? safetyNetIntervalMs : intervalMs)
      timer.unref()
    },
    stop(): void {
      if (timer) clearInterval(timer)
      timer = undefined
      void unwatch?.()
      unwatch = undefined
    },
    /** Polls now (after a local commit); resolves once every event committed before the call
     * has been delivered to the subscribers. */
    poke: poll,
    /** The sequence number of the last event delivered. */
    position: () => last,
    subscribe(listener: ChangeListener): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    /** Events after `after` straight from the log (for a reconnecting stream to catch up). */
    async since(after: number, limit = 500): Promise<ChangeEvent[]> {
      return (await store.events.list(after, limit)).map(toChange)
    },
  }
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>
