// Which network addresses an external OIDC issuer may be fetched from. Keyless fetches discovery
// documents and JWKS from URLs that users put in federated credentials, so without a rule a
// credential could make the server call its own loopback, the cloud metadata service at
// 169.254.169.254 or a private network (server-side request forgery, OWASP SSRF prevention
// cheat sheet). Only globally routable addresses pass; an installation trusts a private issuer
// by naming it in its configuration (`federation.privateIssuers`).
import { BlockList, isIP } from 'node:net'

const blocked = new BlockList()
// IPv4 special-purpose ranges (RFC 6890 and the IANA registry).
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4')
}
// IPv6: unspecified, loopback, unique local, link-local, multicast, documentation, NAT64.
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6')
}

/** True for a globally routable unicast address; false for private, loopback, link-local and
 * other special ranges, and for anything that is not an IP address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return false
  if (family === 6) {
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) reaches the IPv4 address it embeds.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped) return isPublicAddress(mapped[1]!)
    if (/^::ffff:/i.test(address)) return false
    return !blocked.check(address, 'ipv6')
  }
  return !blocked.check(address, 'ipv4')
}
