// The revocation feed between Keyless and `keyless/verify` (issue 11.4): a public, signed list
// of the revocations (domain/token-revocation.ts: principals deleted, identities detached,
// resources deleted, hosts revoked) since a position in the change log, which verifiers in
// users' services long-poll so that revoked tokens are refused there within a second, as they
// are by Keyless's own services. Public because it says no more than a refusal would (ids and
// a time) and needs no operator credential; signed with the installation's token key, so a man
// in the middle can hold it back (verifiers then refuse as unavailable) but not forge it.
import type { Revocation } from '../domain/token-revocation.js'

/** Where the feed is served, under the authority. */
export const revocationFeedPath = (tenantId: string) => `/${tenantId}/discovery/keyless/revocations`

/** The JWT `typ` of a feed page: never confused with an access token (whose `typ` is JWT). */
export const REVOCATION_FEED_TYPE = 'keyless-revocations+jwt'

/** The longest a request waits for news, in seconds; `wait` above it is lowered to it. */
export const REVOCATION_FEED_MAX_WAIT_SECONDS = 25

export interface Tombstone {
  /** The deleted principal's object id. */
  oid: string
  /** When it was deleted (epoch seconds): its tokens issued at or before this are refused. */
  revokedAt: number
}

/** The claims of a feed page (besides `iss`, `iat`, `exp`). */
export interface RevocationFeedPage {
  /** The position to ask from next (`?after=`). */
  seq: number
  /** Deleted principals only, as the first version of the feed listed them. */
  tombstones: Tombstone[]
  /** Every revocation (deleted principals included); absent from first-version pages. */
  revocations?: Revocation[]
}
