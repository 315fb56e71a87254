// The change stream agents follow (server-sent events). A client resumes after `?after=` or the
// `Last-Event-ID` header; it first receives what it missed from the log, then live events from
// the change feed. A host receives only the events that concern it (domain/host-events.ts); the
// operator's stream is complete. A revoked host receives its own `host.revoked` event and is
// disconnected.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { EVENTS_PATH } from '../common/agent-protocol.js'
import { bearerToken } from '../common/access-token.js'
import { Unauthenticated } from '../domain/errors.js'
import { hostView, isEventForHost } from '../domain/host-events.js'
import type { ChangeEvent, ChangeFeed } from '../directory/change-feed.js'
import type { HostAuthenticator } from './host-assertion.js'

export interface EventsApiOptions {
  feed: ChangeFeed
  authenticateHost: HostAuthenticator
  authority: () => string
  authorizeOperator: (request: FastifyRequest, action: string, scope?: string) => Promise<void>
  heartbeatMs?: number
}

const frame = (e: ChangeEvent, data: Record<string, unknown>) =>
  `id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify({ subject: e.subject, at: e.at, ...data })}\n\n`

export function registerEventsApi(app: FastifyInstance, o: EventsApiOptions): void {
  // Streams never end on their own: a server that is closing ends them, or it would wait forever.
  const open = new Set<() => void>()
  app.addHook('preClose', async () => {
    for (const close of [...open]) close()
  })
  app.get<{ Querystring: { after?: string } }>(EVENTS_PATH, async (req, reply) => {
    const credential = bearerToken(req.headers.authorization)
    if (!credential)
      throw new Unauthenticated(
        'AuthenticationFailed',
        'a host assertion or operator token is required',
      )
    // Hosts present an assertion addressed to this URL; anything else must be an operator token.
    let hostId: string | undefined
    let isLocal = false
    try {
      const host = await o.authenticateHost(credential, `${o.authority()}${EVENTS_PATH}`)
      hostId = host.id
      isLocal = host.is_local === 1
    } catch {
      await o.authorizeOperator(req, 'Keyless/events/read')
    }
    const lastId = Number(req.headers['last-event-id'] ?? req.query.after ?? o.feed.position())
    let cursor = Number.isFinite(lastId) && lastId >= 0 ? lastId : o.feed.position()

    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    // The position the stream starts from, so a client that reconnects resumes exactly there.
    res.write(`: connected\nid: ${cursor}\n\n`)
    let closed = false
    const send = (e: ChangeEvent) => {
      if (closed || e.seq <= cursor) return
      cursor = e.seq
      // Ids are the log's: a host that reconnects after its last delivered event replays the
      // events it was not sent and is again not sent them.
      if (hostId === undefined) res.write(frame(e, e.data))
      else if (isEventForHost(e, hostId, isLocal)) res.write(frame(e, hostView(e.data)))
      if (e.kind === 'host.revoked' && e.subject === hostId) close()
    }
    const buffered: ChangeEvent[] = []
    let catchingUp = true
    const unsubscribe = o.feed.subscribe((e) => (catchingUp ? buffered.push(e) : send(e)))
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), o.heartbeatMs ?? 15_000)
    function close() {
      if (closed) return
      closed = true
      open.delete(close)
      clearInterval(heartbeat)
      unsubscribe()
      res.end()
    }
    open.add(close)
    req.raw.on('close', close)
    try {
      for (
        let batch = await o.feed.since(cursor);
        batch.length;
        batch = await o.feed.since(cursor)
      ) {
        batch.forEach(send)
        if (closed) return
      }
    } finally {
      catchingUp = false
      buffered.forEach(send)
    }
  })
}
