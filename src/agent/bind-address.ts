// Identity endpoints listen only where no other machine can reach them: loopback, or a
// link-local address such as 169.254.169.254 inside a resource's own network namespace, as
// Azure IMDS does (docs/architecture.md, "Where each rule lives"). Anything else is a configuration error.
import { isIPv4, isIPv6 } from 'node:net'

function ipv4Octets(host: string): number[] | undefined {
  return isIPv4(host) ? host.split('.').map(Number) : undefined
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) in its dotted form, if it is one. */
function mappedIPv4(host: string): string | undefined {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)
  return m ? m[1] : undefined
}

export function isLoopbackOrLinkLocal(host: string): boolean {
  if (host === 'localhost') return true
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  const v4 = ipv4Octets(mappedIPv4(h) ?? h)
  if (v4) return v4[0] === 127 || (v4[0] === 169 && v4[1] === 254)
  if (!isIPv6(h)) return false
  const lower = h.toLowerCase().split('%')[0]!
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true
  // fe80::/10
  const first = parseInt(lower.split(':')[0] || '0', 16)
  return (first & 0xffc0) === 0xfe80
}

/** Throws a TypeError at startup for an address another machine could reach. */
export function assertLocalBind(host: string, what = 'identity endpoint'): void {
  if (!isLoopbackOrLinkLocal(host)) {
    throw new TypeError(
      `${what} may listen only on a loopback or link-local address, not '${host}'`,
    )
  }
}
