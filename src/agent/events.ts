// Follows the server's change stream (SSE at EVENTS_PATH) and hands each event to the agent.
// Reconnects with jittered exponential backoff and resumes after the last id it saw
// (`Last-Event-ID`), so events sent while it was away still arrive once it is back.
import { setTimeout as sleep } from 'node:timers/promises'
import { backoffDelay } from './backoff.js'
import type { IncomingMessage } from 'node:http'
import type { HttpsClient } from './https-client.js'
import type { Logger } from './respond.js'
import { createSseParser } from './sse-parser.js'

export interface AgentEvent {
  id?: string
  kind: string
  /** What the event is about: a lower-cased resource id, an object id or a host id. */
  subject: string
  data: Record<string, unknown>
}

export interface EventFollowerOptions {
  url: () => string
  http: HttpsClient
  /** A bearer assertion for `audience` (the events URL). */
  assertion: (audience: string) => Promise<string>
  onEvent: (event: AgentEvent) => void
  /** Called on each (re)connection; `resumed` is false when there was no id to resume from. */
  onConnect?: (info: { resumed: boolean; first: boolean }) => void
  log: Logger
  initialDelayMs?: number
  maxDelayMs?: number
}

export type EventFollower = ReturnType<typeof createEventFollower>

export function createEventFollower(o: EventFollowerOptions) {
  const initial = o.initialDelayMs ?? 250
  const max = o.maxDelayMs ?? 10_000
  const abort = new AbortController()
  let lastId: string | undefined
  let connected = false
  let everConnected = false
  let stream: IncomingMessage | undefined
  let running: Promise<void> | undefined

  function dispatch(e: { id?: string; event: string; data: string }): void {
    if (e.id !== undefined) lastId = e.id
    let data: Record<string, unknown>
    try {
      data = JSON.parse(e.data) as Record<string, unknown>
    } catch {
      o.log.warn({ event: e.event, id: e.id }, 'change event with malformed data')
      return
    }
    const subject = typeof data.subject === 'string' ? data.subject : ''
    try {
      o.onEvent({ id: e.id, kind: e.event, subject, data })
    } catch (err) {
      o.log.error({ err, event: e.event }, 'change event handler failed')
    }
  }

  async function connectOnce(): Promise<void> {
    const url = o.url()
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      authorization: `Bearer ${await o.assertion(url)}`,
    }
    if (lastId !== undefined) headers['last-event-id'] = lastId
    const res = await o.http.stream(url, { headers })
    if (res.statusCode !== 200) {
      res.resume()
      throw new Error(`event stream refused with status ${res.statusCode}`)
    }
    stream = res
    o.onConnect?.({ resumed: lastId !== undefined, first: !everConnected })
    connected = everConnected = true
    const parser = createSseParser(dispatch)
    res.setEncoding('utf8')
    await new Promise<void>((resolve) => {
      res.on('data', (chunk: string) => {
        parser.push(chunk)
        // Also a block with an id and no event (the position the server starts the stream
        // from): with it, a reconnect resumes rather than starting afresh, so an agent that
        // had seen no event yet keeps its cache when a server restarts (no refetch stampede).
        if (parser.lastId !== undefined) lastId = parser.lastId
      })
      res.on('end', resolve)
      res.on('close', resolve)
      res.on('error', resolve)
    })
  }

  async function loop(): Promise<void> {
    let failures = 0
    while (!abort.signal.aborted) {
      try {
        await connectOnce()
        failures = 0
      } catch (err) {
        o.log.debug({ err: (err as Error).message }, 'event stream unavailable')
      }
      connected = false
      stream = undefined
      if (abort.signal.aborted) break
      const wait = backoffDelay({ initialMs: initial, maxMs: max }, ++failures, Math.random)
      await sleep(wait, undefined, { signal: abort.signal }).catch(() => undefined)
    }
  }

  return {
    start(): void {
      running ??= loop()
    },
    async stop(): Promise<void> {
      abort.abort()
      stream?.destroy()
      await running
    },
    get connected(): boolean {
      return connected
    },
    get lastId(): string | undefined {
      return lastId
    },
  }
}
