// The agent's sign-in records: one for every token request an identity endpoint answers
// (issued from the cache or the server, or refused; identical cache hits of one connection
// folded into one record with a `requestCount`), shipped in batches to the server's
// AGENT_SIGNINS_PATH as this host. Recording must not slow the cached path nor stop it: a
// request only pushes what it knows onto a bounded queue (no I/O, no allocation beyond one
// object); the record is built and the caller's process looked up when the batch is sent.
// Unlike the token service, the agent does NOT fail closed: a token it already holds keeps
// being served while the server is unreachable (that is what the cache is for), and when the
// queue is full the oldest records are dropped and counted (`dropped`, a metric).
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import type { AgentSignIn } from '../common/agent-protocol.js'
import { AGENT_SIGNINS_MAX } from '../common/agent-protocol.js'
import { KeylessError } from '../domain/errors.js'
import type { SignInStatus } from '../domain/log-records.js'
import type { Peer, PeerLookup } from './peer-process.js'
import type { Logger } from './respond.js'
import { TokenRequestError, type IssuedToken } from './token-source.js'

/** What an answered request is known to be, as the endpoint hands it over. */
export interface AnsweredRequest {
  socket: Socket
  protocol: string
  /** performance.now() when the request arrived. */
  startedAt: number
  callerResourceId?: string
  /** The audience asked for. */
  resource?: string
  token?: IssuedToken
  isCacheHit?: boolean
  error?: unknown
}

interface Pending {
  a: AnsweredRequest
  at: number
  latencyMs: number
  /** Identical cache hits folded into this one (see `fold`). */
  count: number
  /** Its key among the open folds, while later hits may still join it. */
  foldKey?: string
  peer: Peer | null | Promise<Peer | null>
  /** Once built, the record is kept as it is across retries (same correlation id). */
  built?: AgentSignIn
}

export interface SignInRecorderOptions {
  /** POSTs one batch; throws on failure, with `status` (0: unreachable) when it has one. */
  send: (records: AgentSignIn[]) => Promise<void>
  peers: Pick<PeerLookup, 'isSupported' | 'of' | 'holderOf'>
  now: () => number
  log: Logger
  /** Default 1000 ms. */
  flushMs?: number
  /** Default AGENT_SIGNINS_MAX. */
  batchSize?: number
  /** Records held while the server does not take them (default 10,000); then drop-oldest. */
  maxQueued?: number
}

export type SignInRecorder = ReturnType<typeof createSignInRecorder>

function statusOf(err: unknown): SignInStatus {
  if (err === undefined) return { errorCode: 0 }
  if (err instanceof TokenRequestError) {
    return {
      errorCode: err.codes[0] ?? (err.status || 503),
      failureReason: err.description || 'the token service refused',
      additionalDetails: err.error,
    }
  }
  if (err instanceof KeylessError) {
    const aadsts = err.extra?.aadsts
    return {
      errorCode: typeof aadsts === 'number' ? aadsts : err.status,
      failureReason: err.expose ? err.message : 'internal error',
      additionalDetails: err.code,
    }
  }
  return { errorCode: 500, failureReason: 'internal error', additionalDetails: 'server_error' }
}

export function createSignInRecorder(o: SignInRecorderOptions) {
  const batchSize = Math.min(o.batchSize ?? AGENT_SIGNINS_MAX, AGENT_SIGNINS_MAX)
  const maxQueued = o.maxQueued ?? 10_000
  let queue: Pending[] = []
  let sending: Promise<void> | undefined
  let soon = false
  const stats = { recorded: 0, sent: 0, dropped: 0, sendFailures: 0 }
  // Cache hits of one connection for one identity and audience, answered alike, fold into the
  // first one still queued (Entra aggregates non-interactive sign-ins the same way). Without
  // it every cached answer was a record the server hashed into the chain: at 10,000 cached
  // answers a second that cost the agent of `keyless up` two thirds of its throughput.
  const folds = new Map<string, Pending>()
  const connections = new WeakMap<Socket, number>()
  let nextConnection = 0
  function foldKeyOf(a: AnsweredRequest): string | undefined {
    if (a.isCacheHit !== true || a.error !== undefined || a.token === undefined) return undefined
    let c = connections.get(a.socket)
    if (c === undefined) connections.set(a.socket, (c = nextConnection++))
    const t = a.token
    return `${c}|${a.protocol}|${a.callerResourceId ?? ''}|${t.objectId}|${t.msiResId}|${a.resource ?? ''}`
  }

  // The process of a connection, by its socket inode: looked up once per connection.
  const holders = new Map<number, Promise<{ pid: number; exe?: string } | undefined>>()

  function holder(peer: Peer) {
    let h = holders.get(peer.inode)
    if (!h) {
      h = o.peers.holderOf(peer.inode, peer.uid)
      holders.set(peer.inode, h)
      if (holders.size > 4096) holders.delete(holders.keys().next().value!)
    }
    return h
  }

  async function build(p: Pending): Promise<AgentSignIn> {
    p.built ??= await buildFresh(p)
    return p.built
  }

  async function buildFresh(p: Pending): Promise<AgentSignIn> {
    const peer = await p.peer
    const proc = peer ? await holder(peer) : undefined
    const { a } = p
    const t = a.token
    return {
      createdDateTime: new Date(p.at).toISOString(),
      correlationId: randomUUID(),
      protocol: a.protocol,
      ...(t && {
        appId: t.clientId,
        servicePrincipalId: t.objectId,
        managedServiceIdentity: {
          msiType:
            a.callerResourceId !== undefined &&
            t.msiResId.toLowerCase() === a.callerResourceId.toLowerCase()
              ? 'systemAssigned'
              : 'userAssigned',
          associatedResourceId: t.msiResId,
        },
      }),
      ...(a.callerResourceId !== undefined && { callerResourceId: a.callerResourceId }),
      ...(a.resource !== undefined && { resourceId: a.resource, resourceDisplayName: a.resource }),
      latencyMs: p.latencyMs,
      status: statusOf(a.error),
      ...(peer && { process: { uid: peer.uid, ...proc } }),
      ...(a.isCacheHit !== undefined && { isCacheHit: a.isCacheHit }),
      ...(p.count > 1 && { requestCount: p.count }),
    }
  }

  /** Drops the oldest beyond the bound, counting them; a tenth of the bound at a time, so that
   * a full queue does not copy itself on every request of an outage. */
  function bound(): void {
    const over = queue.length - maxQueued
    if (over > 0) {
      const n = Math.max(over, Math.ceil(maxQueued / 10))
      for (const p of queue.slice(0, n)) {
        if (p.foldKey !== undefined && folds.get(p.foldKey) === p) folds.delete(p.foldKey)
        stats.dropped += p.count
      }
      queue = queue.slice(n)
    }
  }

  async function flushOnce(): Promise<void> {
    const batch = queue.slice(0, batchSize)
    if (!batch.length) return
    queue = queue.slice(batch.length)
    // Taken for sending: later hits start a fold of their own.
    for (const p of batch) {
      if (p.foldKey !== undefined && folds.get(p.foldKey) === p) folds.delete(p.foldKey)
      p.foldKey = undefined
    }
    const records = await Promise.all(batch.map(build))
    try {
      await sendSplitting(records)
    } catch (err) {
      queue = batch.concat(queue)
      bound()
      throw err
    }
  }

  const isRefusal = (status: number) =>
    status >= 400 && status < 500 && status !== 408 && status !== 429

  /**
   * Sends records; when the server refuses a batch as such (400, 403: say, one names a resource
   * deleted meanwhile), halves it until the refused records alone are dropped (loudly), since
   * they would be refused again. Throws when the server cannot be reached (kept for a retry).
   */
  async function sendSplitting(records: AgentSignIn[]): Promise<void> {
    try {
      await o.send(records)
      stats.sent += records.reduce((n, r) => n + (r.requestCount ?? 1), 0)
      return
    } catch (err) {
      stats.sendFailures++
      const status = (err as { status?: number }).status ?? 0
      if (!isRefusal(status)) throw err
      if (records.length === 1) {
        stats.dropped += records[0]!.requestCount ?? 1
        o.log.warn({ status, err: (err as Error).message }, 'sign-in record refused; dropped')
        return
      }
    }
    const half = Math.ceil(records.length / 2)
    await sendSplitting(records.slice(0, half))
    await sendSplitting(records.slice(half))
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length) await flushOnce()
    } catch (err) {
      o.log.debug({ err: (err as Error).message }, 'sign-in records kept for the next try')
    }
  }

  function flush(): Promise<void> {
    if (sending) return sending
    if (!queue.length) return Promise.resolve()
    // Cleared when it settles, never before it is assigned (drain awaits before it ends).
    const current = drain().finally(() => {
      if (sending === current) sending = undefined
    })
    sending = current
    return current
  }

  const timer = setInterval(() => void flush(), o.flushMs ?? 1000)
  timer.unref()

  return {
    stats,
    get queued(): number {
      return queue.length
    },
    /** The hot path: remember the answered request (synchronous, no I/O). */
    record(a: AnsweredRequest): void {
      stats.recorded++
      const latencyMs = Math.round((performance.now() - a.startedAt) * 1000) / 1000
      const foldKey = foldKeyOf(a)
      const open = foldKey === undefined ? undefined : folds.get(foldKey)
      if (open) {
        open.count++
        if (latencyMs > open.latencyMs) open.latencyMs = latencyMs
        return
      }
      let peer = o.peers.isSupported ? o.peers.of(a.socket) : null
      // The process is looked for while it still holds the connection (once per connection).
      if (peer instanceof Promise) {
        peer = peer.then((p) => {
          if (p) void holder(p)
          return p
        })
      }
      const pending: Pending = { a, at: o.now(), latencyMs, count: 1, peer, foldKey }
      queue.push(pending)
      if (foldKey !== undefined) folds.set(foldKey, pending)
      bound()
      if (queue.length >= batchSize && !soon && !sending) {
        soon = true
        setImmediate(() => {
          soon = false
          void flush()
        })
      }
    },
    /** Sends what is queued now (tests, shutdown). */
    flush,
    async close(): Promise<void> {
      clearInterval(timer)
      await flush()
    },
  }
}
