// The checks every identity listener (IMDS, App Service, Arc) applies to a request before reading
// its query: one rule, one place (docs/identity-endpoints.md). Azure's endpoints are reachable
// only from inside the VM; ours share a host with browsers and proxies, so anything that shows
// the request was relayed, or was addressed to another name, is refused with 400 and no token.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { EndpointErrors } from './endpoint-errors.js'

/**
 * Headers a proxy or load balancer adds (RFC 7239 `Forwarded`, RFC 9110 `Via`, and the de-facto
 * forms of nginx, Apache, Cloudflare, Akamai, Fastly and others). Any `X-Forwarded-*` counts too.
 */
export const PROXY_HEADERS: readonly string[] = Object.freeze([
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-proxyuser-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'client-ip',
])

export function proxyHeaderOf(headers: IncomingHttpHeaders): string | undefined {
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-forwarded-') || PROXY_HEADERS.includes(name)) return name
  }
  return undefined
}

/** The forms of `Host` that name the listener at `address`:`port` (IPv6 in brackets). */
export function acceptedHosts(address: string, port: number): Set<string> {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  const ip = v4 ?? address
  const name = ip.includes(':') ? `[${ip.toLowerCase()}]` : ip
  const names = [name]
  if (ip.startsWith('127.') || ip === '::1') names.push('localhost')
  const out = new Set<string>()
  for (const n of names) {
    out.add(`${n}:${port}`)
    if (port === 80) out.add(n)
  }
  return out
}

/** The Host header names this listener (DNS rebinding: a browser sends the attacker's name). */
export function isOwnHost(host: string | undefined, address: string, port: number): boolean {
  if (host === undefined) return false
  return acceptedHosts(address, port).has(host.toLowerCase())
}

/** Whether the request carries (or announces) a body: GET requests of every client have none. */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  return length !== undefined && length !== '0'
}

/**
 * Throws the endpoint's 400 (or 405) for a request no identity listener should answer. `stands`:
 * the address a relayed listener stands for (its socket is a Unix socket, netns.ts).
 */
export function guardRequest(req: IncomingMessage, stands?: { host: string; port: number }): void {
  const proxy = proxyHeaderOf(req.headers)
  if (proxy !== undefined) throw EndpointErrors.forwarded(proxy)
  const socket = req.socket
  const address = stands?.host ?? socket.localAddress ?? ''
  const port = stands?.port ?? socket.localPort ?? 0
  if (!isOwnHost(req.headers.host, address, port)) {
    throw EndpointErrors.wrongHost()
  }
  if (req.method !== 'GET') throw EndpointErrors.methodNotAllowed()
  if (hasBody(req.headers)) throw EndpointErrors.bodyNotAllowed()
}

/** `Metadata: true`, exactly as every client sends it (lower case, once). */
export function hasMetadataHeader(headers: IncomingHttpHeaders): boolean {
  return headers.metadata === 'true'
}
