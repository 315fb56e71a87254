// Wake-ups for the change feed of a replica: a connection of its own LISTENs on the schema's
// event channel (event-store.ts notifies in the transaction that appends). A notification
// carries no data the feed trusts; it only makes the feed read the log now. The connection is
// re-made after any loss with a growing pause, and every (re)connect wakes the feed too, so
// whatever was committed while nobody listened is read from the log, from the feed's position.
import pg from 'pg'
import { EVENTS_CHANNEL_PREFIX } from './event-store.js'

export type CommitWatch = (
  wake: () => void,
  onError?: (err: unknown) => void,
) => Promise<() => Promise<void>>

/** How the watch's connection names itself (pg_stat_activity), for operators and tests. */
export const COMMIT_WATCH_APPLICATION = 'keyless-commit-watch'

const FIRST_PAUSE_MS = 200
const LAST_PAUSE_MS = 5000

export function commitWatch(url: string, schema: string): CommitWatch {
  const channel = `${EVENTS_CHANNEL_PREFIX}${schema}`
  return async (wake, onError) => {
    let stopped = false
    let client: pg.Client | undefined
    let retry: NodeJS.Timeout | undefined
    let pause = FIRST_PAUSE_MS

    const reconnectLater = () => {
      if (stopped || retry !== undefined) return
      retry = setTimeout(() => {
        retry = undefined
        void connect().catch((err: unknown) => {
          onError?.(err)
          reconnectLater()
        })
      }, pause)
      retry.unref()
      pause = Math.min(pause * 2, LAST_PAUSE_MS)
    }

    async function connect(): Promise<void> {
      const c = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: 3000,
        application_name: COMMIT_WATCH_APPLICATION,
      })
      c.on('notification', (n) => {
        if (n.channel === channel) wake()
      })
      c.on('error', (err) => {
        onError?.(err)
        if (client === c) client = undefined
        void c.end().catch(() => undefined)
        reconnectLater()
      })
      c.on('end', () => {
        if (client === c) {
          client = undefined
          reconnectLater()
        }
      })
      try {
        await c.connect()
        await c.query(`LISTEN ${c.escapeIdentifier(channel)}`)
      } catch (err) {
        await c.end().catch(() => undefined)
        throw err
      }
      if (stopped) {
        await c.end().catch(() => undefined)
        return
      }
      client = c
      pause = FIRST_PAUSE_MS
      // Whatever committed before LISTEN took effect is in the log: read it now.
      wake()
    }

    await connect()
    return async () => {
      stopped = true
      if (retry !== undefined) clearTimeout(retry)
      const c = client
      client = undefined
      await c?.end().catch(() => undefined)
    }
  }
}
