// The agent's local control API, for `keyless run` and `keyless env`: HTTP over a Unix socket in
// the state directory. The socket is 0600 in a 0700 directory: being able to open it is the
// authentication (like the Docker socket).
//   GET    /status      host id, state, endpoints
//   GET    /runs        the registered runs
//   POST   /runs        {resourceId, protocol, uid?, pid?, ttlSeconds?, netns?}
//                        → 201 {id, resourceId, protocol, createdAt, expiresAt?, uid, pid?, env}
//                        uid: whose processes may use the run (default: the agent's own);
//                        pid: bind to that process's tree; ttlSeconds: the run then expires;
//                        netns: IMDS at 169.254.169.254:80 in that network namespace.
//   DELETE /runs/{id}   → 204
//   GET    /metrics     the agent's Prometheus metrics (common/metrics.ts)
//   GET|PUT|DELETE /faults  fault injection (control-faults.ts)
import { chmodSync, existsSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { KeylessError, BadRequest, NotFound } from '../domain/errors.js'
import { METRICS_CONTENT_TYPE } from '../common/metrics.js'
import type { Logger } from './respond.js'
import type { RunProtocol, Runs } from './runs.js'

export interface ControlServer {
  socketPath: string
  close(): Promise<void>
}

export type ControlRoutes = (
  req: IncomingMessage,
  path: string,
) => Promise<{ status: number; body?: unknown } | undefined>

const MAX_BODY = 65_536

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(text)
}

export function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new BadRequest('BodyTooLarge', 'the request body is too large'))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => {
      try {
        const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object')
        resolve(v as Record<string, unknown>)
      } catch {
        reject(new BadRequest('InvalidJson', 'the request body must be a JSON object'))
      }
    })
    req.on('error', reject)
  })
}

/** Whether another process already answers on `path` (a second agent on the same state). */
function isAnswering(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** Refuses to start beside a live agent on the same state; removes a stale socket. */
export async function claimControlSocket(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return
  if (await isAnswering(socketPath))
    throw new TypeError(`another agent is running on ${socketPath}`)
  rmSync(socketPath, { force: true })
}

export async function startControlServer(o: {
  socketPath: string
  runs: Runs
  status: () => Record<string, unknown>
  metrics?: () => Promise<string>
  log: Logger
  /** Further routes (control-faults.ts): an answer, or undefined when the route is not theirs. */
  routes?: ControlRoutes
}): Promise<ControlServer> {
  await claimControlSocket(o.socketPath)

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!
    if (req.method === 'GET' && path === '/status') return send(res, 200, o.status())
    if (req.method === 'GET' && path === '/metrics' && o.metrics) {
      const text = await o.metrics()
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text)
      return
    }
    if (req.method === 'GET' && path === '/runs') return send(res, 200, { value: o.runs.list() })
    if (req.method === 'POST' && path === '/runs') {
      const body = await readJson(req)
      const { resourceId, protocol = 'appservice', uid, pid, ttlSeconds, netns } = body
      if (typeof resourceId !== 'string' || typeof protocol !== 'string') {
        throw new BadRequest('InvalidRequest', 'resourceId and protocol must be strings')
      }
      for (const [name, v] of Object.entries({ uid, pid, ttlSeconds })) {
        if (v !== undefined && typeof v !== 'number') {
          throw new BadRequest('InvalidRequest', `${name} must be a number`)
        }
      }
      const owner = {
        uid: uid as number | undefined,
        pid: pid as number | undefined,
        ttlMs: ttlSeconds === undefined ? undefined : (ttlSeconds as number) * 1000,
        netns: netns as string | undefined,
      }
      return send(res, 201, await o.runs.create(resourceId, protocol as RunProtocol, owner))
    }
    const m = /^\/runs\/([^/]+)$/.exec(path)
    if (req.method === 'DELETE' && m) {
      await o.runs.delete(decodeURIComponent(m[1]!))
      return send(res, 204)
    }
    const answer = await o.routes?.(req, path)
    if (answer) return send(res, answer.status, answer.body)
    throw new NotFound('NotFound', `no route for ${req.method} ${path}`)
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      // Only the socket's owner can ask: it is shown what went wrong, 5xx included.
      const e = err instanceof KeylessError ? err : undefined
      if (!e || !e.expose) o.log.error({ err }, 'control request failed')
      send(res, e?.status ?? 500, {
        error: { code: e?.code ?? 'InternalError', message: (err as Error).message },
      })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  chmodSync(o.socketPath, 0o600)
  return {
    socketPath: o.socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
