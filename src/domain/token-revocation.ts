// Which already-issued tokens a change revokes (issue 11.4), written once for every verifier:
// Keyless's own services (server/token-revocations.ts) and `keyless/verify` in users'
// services, which learns the same revocations from the public feed.
//
// A token names what it was issued for in three claims: `oid` (the principal), `xms_mirid`
// (the managed identity's resource id: the compute resource itself for a system-assigned
// identity, the identity resource for a user-assigned one) and `xms_az_rid` (the calling compute
// resource, on user-assigned tokens only). A revocation names one of three things:
// - a principal (`oid`): the identity was deleted;
// - an identity on one resource (`mirid` + `rid`): a user-assigned identity was detached from it;
// - a calling resource (`rid`): the resource was deleted, or its host was revoked. Every token
//   obtained through that resource is refused: its system-assigned tokens (`xms_mirid` = rid)
//   and the user-assigned ones it asked for (`xms_az_rid` = rid).
// A token is revoked when it was issued at or before the revocation (`iat <= at`, in epoch
// seconds, the resolution of `iat`). A token issued in the same second as a later re-attachment
// would be refused too, so the token service waits out that second (sts/token-endpoint.ts).
export type Revocation =
  | { at: number; oid: string }
  | { at: number; mirid: string; rid: string }
  | { at: number; rid: string }

/** The claims a revocation can name. */
export interface RevocableClaims {
  oid: string
  iat: number
  xms_mirid?: unknown
  xms_az_rid?: unknown
}

// Ids are compared case-insensitively and spelled differently in tokens (`resourcegroups` in
// xms_mirid) and in the directory's keys: both sides are lower-cased as the store lower-cases
// its keys. (Lower-casing may make two ids equal that ARM keeps apart; that errs on the side of
// refusing, never of accepting.)
const id = (raw: string) => raw.toLowerCase().replace(/\/+/g, '/').replace(/\/$/, '')

/** The lookup key of a revocation (one per thing it names). */
export function revocationKey(r: Revocation): string {
  if ('oid' in r) return `oid ${r.oid}`
  if ('mirid' in r) return `mi ${id(r.mirid)} ${id(r.rid)}`
  return `rid ${id(r.rid)}`
}

/** The keys under which a token's revocations are found, most common first. */
export function revocationKeysOf(claims: RevocableClaims): string[] {
  const keys = [`oid ${claims.oid}`]
  const mirid = typeof claims.xms_mirid === 'string' ? claims.xms_mirid : undefined
  const rid = typeof claims.xms_az_rid === 'string' ? claims.xms_az_rid : undefined
  if (mirid !== undefined && rid !== undefined) keys.push(`mi ${id(mirid)} ${id(rid)}`)
  const caller = rid ?? mirid // a system-assigned token's calling resource is its mirid
  if (caller !== undefined) keys.push(`rid ${id(caller)}`)
  return keys
}

/** Whether a token is revoked, given when each key was last revoked (epoch seconds). */
export function isTokenRevoked(
  claims: RevocableClaims,
  revokedAt: (key: string) => number | undefined,
): boolean {
  for (const key of revocationKeysOf(claims)) {
    const at = revokedAt(key)
    if (at !== undefined && claims.iat <= at) return true
  }
  return false
}

/** A revocation read from the wire (the feed), or undefined when it is not one. */
export function parseRevocation(value: unknown): Revocation | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  const at = v.at ?? v.revokedAt // `revokedAt`: pages of the first feed version
  if (!Number.isSafeInteger(at)) return undefined
  const str = (x: unknown) => typeof x === 'string' && x.length > 0 && x.length <= 2048
  if (str(v.oid)) return { at: at as number, oid: v.oid as string }
  if (str(v.mirid) && str(v.rid))
    return { at: at as number, mirid: v.mirid as string, rid: v.rid as string }
  if (str(v.rid) && v.mirid === undefined) return { at: at as number, rid: v.rid as string }
  return undefined
}

/**
 * Revocations by key, each kept until `horizon` passes (no token issued before it is still
 * valid). Used by the server and by the verify library.
 */
export function createRevocationSet() {
  const revoked = new Map<string, number>()
  return {
    add(r: Revocation): void {
      const key = revocationKey(r)
      revoked.set(key, Math.max(revoked.get(key) ?? 0, r.at))
    },
    /** Forgets revocations older than `horizon` (epoch seconds). */
    prune(horizon: number): void {
      for (const [key, at] of revoked) if (at < horizon) revoked.delete(key)
    },
    isRevoked(claims: RevocableClaims): boolean {
      return revoked.size > 0 && isTokenRevoked(claims, (k) => revoked.get(k))
    },
    get size(): number {
      return revoked.size
    },
  }
}

export type RevocationSet = ReturnType<typeof createRevocationSet>
