// A node:http listener for identity endpoints, bound to loopback or link-local only. node:http
// rather than Fastify: the token path is a few checks and a map lookup, and should cost little
// more than a bare response.
import { chmodSync, rmSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { assertLocalBind } from './bind-address.js'

export interface LocalListener {
  server: Server
  host: string
  port: number
  /** `http://host:port` (`https://` for a TLS listener), IPv6 in brackets. */
  url: string
  close(): Promise<void>
}

const serverFor = (handler: RequestListener) =>
  createServer({ keepAliveTimeout: 5_000, requestTimeout: 30_000 }, handler)

function listen(server: Server, options: { host: string; port: number } | { path: string }) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

const closer = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

/**
 * The same handler on a Unix socket (owner only), for a relay that stands for `host`:`port`
 * elsewhere (netns.ts): the listener reports that address, which the Host check compares.
 */
export async function listenUnix(
  handler: RequestListener,
  path: string,
  stands: { host: string; port: number },
): Promise<LocalListener> {
  assertLocalBind(stands.host)
  rmSync(path, { force: true })
  const server = serverFor(handler)
  await listen(server, { path })
  chmodSync(path, 0o600)
  const close = closer(server)
  return {
    server,
    host: stands.host,
    port: stands.port,
    url: stands.port === 80 ? `http://${stands.host}` : `http://${stands.host}:${stands.port}`,
    async close() {
      await close()
      rmSync(path, { force: true })
    },
  }
}

export async function listenLocal(
  handler: RequestListener,
  host: string,
  port: number,
  /** Serve HTTPS with this certificate (Service Fabric's endpoint). */
  tls?: { cert: string; key: string },
): Promise<LocalListener> {
  assertLocalBind(host)
  const server = tls
    ? createTlsServer({ ...tls, keepAliveTimeout: 5_000, requestTimeout: 30_000 }, handler)
    : serverFor(handler)
  await listen(server, { host, port })
  const bound = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return {
    server,
    host,
    port: bound,
    url: `${tls ? 'https' : 'http'}://${urlHost}:${bound}`,
    close: closer(server),
  }
}
