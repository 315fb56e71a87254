// A node:http listener for identity endpoints, bound to loopback or link-local only. node:http
// rather than Fastify: the token path is a few checks and a map lookup, and should cost little
// more than a bare response.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { assertLocalBind } from './bind-address.js'

export interface LocalListener {
  server: Server
  host: string
  port: number
  /** `http://host:port`, IPv6 in brackets. */
  url: string
  close(): Promise<void>
}

export async function listenLocal(
  handler: RequestListener,
  host: string,
  port: number,
): Promise<LocalListener> {
  assertLocalBind(host)
  const server = createServer({ keepAliveTimeout: 5_000, requestTimeout: 30_000 }, handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return {
    server,
    host,
    port: bound,
    url: `http://${urlHost}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
