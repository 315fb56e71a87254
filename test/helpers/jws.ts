// Client assertions built by hand (RFC 7515 compact form, raw crypto), so that a test or the
// benchmark can send any header or claim, and sign many without jose's per-token cost.
import { randomUUID, sign, type KeyObject } from 'node:crypto'

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

/** The claims a host's assertion for `audience` carries, issued at `now` (epoch s). */
export function hostAssertionClaims(
  hostId: string,
  audience: string,
  now: number,
  lifetimeS: number,
) {
  return {
    iss: hostId,
    sub: hostId,
    aud: audience,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + lifetimeS,
  }
}

/** `header.payload.signature`, ES256 with `key` (P-256), or the given signature function. */
export function compactJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject | ((input: string) => Buffer),
): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  const signature =
    typeof key === 'function'
      ? key(input)
      : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}
