// The revocations in force on this replica (domain/token-revocation.ts), built from the change
// log: at startup from the part of the log that can still matter (tokens live at most
// `retainMs`), then live from the change feed. Every verifier of the server asks `isRevoked`,
// and the public revocation feed (sts/revocation-feed.ts) serves `after()` to `keyless/verify`,
// so both refuse the same tokens.
import type { Clock } from '../domain/clock.js'
import {
  createRevocationSet,
  type RevocableClaims,
  type Revocation,
} from '../domain/token-revocation.js'
import type { ChangeEvent, ChangeFeed } from './change-feed.js'
import { HOST_RESOURCE_KEYS } from './host-revocation.js'

export interface TokenRevocationsOptions {
  feed: Pick<ChangeFeed, 'subscribe' | 'since'>
  clock: Clock
  /** How long a revocation matters: the longest token lifetime plus the clock skew. */
  retainMs: number
}

export interface RevocationEntry {
  seq: number
  revocation: Revocation
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

/** What an event of the log revokes. */
export function revocationsOf(e: ChangeEvent): Revocation[] {
  const at = Math.floor(e.at / 1000)
  switch (e.kind) {
    case 'principal.deleted':
      return [{ at, oid: e.subject }]
    case 'identity.detached': // subject: the calling resource; data: the identity's key
      return typeof e.data.identityKey === 'string'
        ? [{ at, mirid: e.data.identityKey, rid: e.subject }]
        : []
    case 'resource.deleted':
      return [{ at, rid: e.subject }]
    case 'host.revoked': // every resource the host ran at that moment
      return strings(e.data[HOST_RESOURCE_KEYS]).map((rid) => ({ at, rid }))
    default:
      return []
  }
}

export function createTokenRevocations(o: TokenRevocationsOptions) {
  const set = createRevocationSet()
  let entries: RevocationEntry[] = []
  const listeners = new Set<() => void>()
  const horizon = () => Math.floor((o.clock.now() - o.retainMs) / 1000)
  let prunedAt = 0

  function take(e: ChangeEvent): boolean {
    const found = revocationsOf(e)
    if (found.length === 0 || found[0]!.at < horizon()) return false
    for (const revocation of found) {
      set.add(revocation)
      entries.push({ seq: e.seq, revocation })
    }
    return true
  }

  // Old revocations leave at most once a second: a pass over the set is linear.
  function prune(): void {
    const now = o.clock.now()
    if (now - prunedAt < 1000) return
    prunedAt = now
    const h = horizon()
    if (entries.length && entries[0]!.revocation.at < h) {
      entries = entries.filter((x) => x.revocation.at >= h)
      set.prune(h)
    }
  }

  const unsubscribe = o.feed.subscribe((e) => {
    if (take(e)) for (const l of [...listeners]) l()
  })

  return {
    /**
     * Reads the log up to `position` (the feed's start): revocations committed before this
     * replica started. Live events after it arrive through the feed.
     */
    async load(position: number): Promise<void> {
      const loaded: RevocationEntry[] = []
      const before = entries
      entries = loaded
      for (let after = 0; after < position;) {
        const events = await o.feed.since(after)
        if (events.length === 0) break
        for (const e of events) if (e.seq <= position) take(e)
        after = events[events.length - 1]!.seq
      }
      entries = [...loaded, ...before].sort((a, b) => a.seq - b.seq)
    },

    isRevoked(claims: RevocableClaims): boolean {
      prune()
      return set.isRevoked(claims)
    },

    /** Revocations committed after `seq` and still in force, in log order. */
    after(seq: number): RevocationEntry[] {
      prune()
      return entries.filter((x) => x.seq > seq)
    },

    /** Calls `listener` whenever a revocation arrives; returns the unsubscribe. */
    onRevocation(listener: () => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    close: unsubscribe,
  }
}

export type TokenRevocations = ReturnType<typeof createTokenRevocations>
