// The load generator, run as its own process on the load core (bench/lib/load.ts drives it over
// IPC): per target, a closed loop of keep-alive HTTP/1.1 connections over raw sockets with one
// request in flight each. Requests are prepared bytes; responses are framed by Content-Length
// or chunked encoding and otherwise not parsed, so the generator costs a fraction of what
// node:http's client would and the server stays the bottleneck.
//
// Targets run in slices on command, so that a measure and its baseline can alternate every few
// hundred milliseconds and share a noisy host's interference. A slice stops issuing at its end,
// waits for the requests in flight, and reports what it completed.
import { readFileSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { connect as tlsConnect } from 'node:tls'

export interface TargetSpec {
  host: string
  port: number
  /** PEM of the CA to trust; plain TCP when absent. */
  ca?: string
  /** A TLS client certificate and its key (PEM), presented on every connection (RFC 8705). */
  cert?: string
  key?: string
  connections: number
  /** A JSON file holding an array of raw requests (head and body). */
  requestsFile: string
  /** Send the requests round-robin for ever; otherwise each at most once. */
  reuse: boolean
}

export interface Slice {
  completed: number
  /** From the first request sent to the last response received (or the slice's end). */
  elapsedMs: number
  statuses: Record<string, number>
  errors: number
  /** Every request was used (reuse off) before the slice's end. */
  exhausted: boolean
  /** Per-request latency, ms. */
  samplesMs: number[]
  /** The first response that was not 2xx, for diagnostics. */
  firstFailure?: string
}

export type Command =
  | { cmd: 'open'; id: string; spec: TargetSpec }
  | { cmd: 'add'; id: string; requestsFile: string }
  | { cmd: 'run'; id: string; ms?: number }
  | { cmd: 'drop'; id: string }
  | { cmd: 'close' }

const HEADER_END = Buffer.from('\r\n\r\n')
const CRLF = Buffer.from('\r\n')

/** Length of the first complete response in `buf`, or -1 when more bytes are needed. */
export function responseLength(buf: Buffer): number {
  const headEnd = buf.indexOf(HEADER_END)
  if (headEnd < 0) return -1
  const head = buf.toString('latin1', 0, headEnd).toLowerCase()
  const bodyStart = headEnd + 4
  const cl = /\r\ncontent-length: *(\d+)/.exec(head)
  if (cl) {
    const total = bodyStart + Number(cl[1])
    return buf.length >= total ? total : -1
  }
  if (!/\r\ntransfer-encoding: *chunked/.test(head)) return bodyStart
  let p = bodyStart
  for (;;) {
    const lineEnd = buf.indexOf(CRLF, p)
    if (lineEnd < 0) return -1
    const size = parseInt(buf.toString('latin1', p, lineEnd), 16)
    if (size === 0) {
      const end = buf.indexOf(CRLF, lineEnd + 2)
      return end < 0 ? -1 : end + 2
    }
    p = lineEnd + 2 + size + 2
    if (p > buf.length) return -1
  }
}

const readRequests = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as string[]).map((t) => Buffer.from(t))

class Target {
  readonly #spec: TargetSpec
  #requests: Buffer[]
  #cursor = 0
  #sockets: (Socket | undefined)[]
  readonly #kicks: (() => void)[] = []
  #active = false
  #slice: Slice | undefined
  #busy = 0
  #idle: () => void = () => {}
  #last = 0

  constructor(spec: TargetSpec) {
    this.#spec = spec
    this.#requests = readRequests(spec.requestsFile)
    this.#sockets = Array.from({ length: spec.connections }, () => undefined)
  }

  add(file: string) {
    this.#requests = this.#requests.slice(this.#cursor).concat(readRequests(file))
    this.#cursor = 0
  }

  #next(): Buffer | undefined {
    if (!this.#active) return undefined
    if (this.#cursor >= this.#requests.length) {
      if (!this.#spec.reuse) {
        this.#slice!.exhausted = true
        return undefined
      }
      this.#cursor = 0
    }
    return this.#requests[this.#cursor++]
  }

  #open(i: number): Promise<Socket> {
    const { host, port, ca, cert, key } = this.#spec
    return new Promise((resolve, reject) => {
      const s = ca
        ? tlsConnect({ host, port, ca, cert, key }, () => resolve(s))
        : netConnect({ host, port }, () => resolve(s))
      s.setNoDelay(true)
      s.once('error', reject)
      this.#wire(s, i)
    })
  }

  #wire(socket: Socket, i: number) {
    let buf: Buffer | undefined
    let sentAt = 0
    let waiting = false
    const send = () => {
      const req = this.#next()
      if (!req) {
        if (--this.#busy === 0) this.#idle()
        return
      }
      waiting = true
      sentAt = performance.now()
      socket.write(req)
    }
    this.#kicks[i] = send
    socket.on('error', () => {})
    socket.on('close', () => {
      this.#sockets[i] = undefined
      if (!waiting) return
      waiting = false
      if (this.#slice) this.#slice.errors++
      if (--this.#busy === 0) this.#idle()
    })
    socket.on('data', (chunk: Buffer) => {
      let b: Buffer | undefined = buf ? Buffer.concat([buf, chunk]) : chunk
      buf = b
      while (b) {
        const n = responseLength(b)
        if (n < 0) return
        const now = performance.now()
        const status = b.toString('latin1', 9, 12)
        const slice = this.#slice!
        if (status[0] !== '2' && slice.firstFailure === undefined) {
          slice.firstFailure = b.subarray(0, Math.min(n, 2000)).toString()
        }
        b = n === b.length ? undefined : b.subarray(n)
        buf = b
        waiting = false
        slice.samplesMs.push(now - sentAt)
        slice.statuses[status] = (slice.statuses[status] ?? 0) + 1
        slice.completed++
        this.#last = now
        send()
      }
    })
  }

  async connect() {
    await Promise.all(
      this.#sockets.map(async (s, i) => {
        if (!s) this.#sockets[i] = await this.#open(i)
      }),
    )
  }

  /** Runs for `ms` (or, without it, until every request was sent once) and drains. */
  async run(ms?: number): Promise<Slice> {
    await this.connect()
    const slice: Slice = {
      completed: 0,
      elapsedMs: 0,
      statuses: {},
      errors: 0,
      exhausted: false,
      samplesMs: [],
    }
    this.#slice = slice
    this.#active = true
    this.#busy = this.#sockets.length
    const drained = new Promise<void>((r) => (this.#idle = r))
    const start = performance.now()
    this.#last = start
    for (const kick of this.#kicks) kick()
    let timer: NodeJS.Timeout | undefined
    if (ms !== undefined) timer = setTimeout(() => (this.#active = false), ms)
    await drained
    clearTimeout(timer)
    this.#active = false
    const end = slice.exhausted || ms === undefined ? this.#last : Math.max(this.#last, start + ms)
    slice.elapsedMs = end - start
    return slice
  }

  close() {
    for (const s of this.#sockets) s?.destroy()
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const targets = new Map<string, Target>()
  process.on('message', (m: Command) => {
    const reply = (v: unknown) => process.send!(v)
    const fail = (e: Error) => reply({ error: e.stack ?? e.message })
    switch (m.cmd) {
      case 'open': {
        const t = new Target(m.spec)
        targets.set(m.id, t)
        t.connect().then(() => reply({ ok: true }), fail)
        return
      }
      case 'add':
        targets.get(m.id)!.add(m.requestsFile)
        reply({ ok: true })
        return
      case 'run':
        targets.get(m.id)!.run(m.ms).then(reply, fail)
        return
      case 'drop':
        targets.get(m.id)?.close()
        targets.delete(m.id)
        reply({ ok: true })
        return
      case 'close':
        for (const t of targets.values()) t.close()
        process.disconnect()
        return
    }
  })
  process.send!({ ready: true })
}
