// The agent's Prometheus endpoint on TCP (`keyless agent --metrics-listen host:port`), off by
// default. It answers GET /metrics and nothing else, without authentication: what it shows is
// counts (cache hits, refreshes, the change stream's state), no identifier and no token, and
// the operator chooses the address it is reachable on (a node address for the cluster's
// Prometheus, loopback for a local one). The same text is on the control socket's /metrics.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { METRICS_CONTENT_TYPE } from '../common/metrics.js'

export interface MetricsListener {
  /** `http://host:port/metrics`, IPv6 in brackets. */
  url: string
  close(): Promise<void>
}

/** `host:port`, `[v6]:port`; a TypeError names what is wrong (a startup misconfiguration). */
export function parseListenAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value)
  const port = Number(m?.[3])
  if (!m || !Number.isInteger(port) || port > 65_535) {
    throw new TypeError(`metrics address ${JSON.stringify(value)} must be host:port`)
  }
  return { host: (m[1] ?? m[2])!, port }
}

export async function startMetricsListener(
  registry: Registry,
  address: { host: string; port: number },
): Promise<MetricsListener> {
  const server = createServer({ requestTimeout: 10_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/metrics') return void res.writeHead(404).end()
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return void res.writeHead(405, { allow: 'GET, HEAD' }).end()
    }
    registry.metrics().then(
      (text) =>
        void res
          .writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' })
          .end(req.method === 'HEAD' ? undefined : text),
      () => void res.writeHead(500).end(),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(address, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { address: host, port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
