// The hash chain of the append-only logs (sign-ins, activity). Each entry's hash covers the
// previous entry's hash, its own sequence number, its time and its record, so editing,
// removing or reordering any entry changes every hash after it; `verifyChain` names the first
// entry that no longer fits.
//
// Canonical encoding (what is hashed), fixed for good because stored hashes depend on it:
//   sha256_hex( prevHash + "\n" + seq + "\n" + createdAt + "\n" + record )
// where seq and createdAt are base-10 integers (createdAt in epoch milliseconds) and record is
// the record's canonical JSON: object members sorted by key (UTF-16 code unit order, as
// RFC 8785 §3.2.3 sorts them), no whitespace, strings and numbers as JSON.stringify writes them
// (a non-finite number as null), members whose value is undefined left out. The first entry's prevHash is GENESIS_HASH; after
// pruning, the first remaining entry's prevHash is the anchor (the last pruned entry's hash).
import { hash } from 'node:crypto'

export const GENESIS_HASH = '0'.repeat(64)

// A replacer that copies each plain object with its keys sorted: JSON.stringify then writes
// the canonical form natively, several times faster than assembling the text by hand.
function sortedMembers(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value).sort()) out[k] = (value as Record<string, unknown>)[k]
  return out
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortedMembers)
}

export interface ChainLink {
  seq: number
  createdAt: number
  /** The record's canonical JSON, exactly as stored. */
  record: string
}

export function entryHash(prevHash: string, link: ChainLink): string {
  // One-shot `crypto.hash` (Node ≥ 20.12): a fifth of the cost of createHash for short input.
  return hash('sha256', `${prevHash}\n${link.seq}\n${link.createdAt}\n${link.record}`, 'hex')
}

export interface StoredLink extends ChainLink {
  prevHash: string
  hash: string
}

export type ChainBreak =
  | 'prev-hash'
  | 'hash'
  | 'sequence-gap'
  | 'not-canonical'
  | 'columns'
  /** Entries missing before the head (the log was cut at its end). */
  | 'head'

export interface BrokenEntry {
  seq: number
  reason: ChainBreak
}

/**
 * Checks `entries` (ascending seq) continue the chain from `prev` (hash and seq of the entry
 * before them); returns the first break, or the new tail to continue from.
 */
export function verifyLinks(
  prev: { seq: number; hash: string },
  entries: readonly StoredLink[],
  columnsMatch: (entry: StoredLink, index: number) => boolean = () => true,
): { broken: BrokenEntry } | { tail: { seq: number; hash: string } } {
  let tail = prev
  for (const [i, e] of entries.entries()) {
    if (e.seq !== tail.seq + 1) return { broken: { seq: e.seq, reason: 'sequence-gap' } }
    if (e.prevHash !== tail.hash) return { broken: { seq: e.seq, reason: 'prev-hash' } }
    let parsed: unknown
    try {
      parsed = JSON.parse(e.record)
    } catch {
      return { broken: { seq: e.seq, reason: 'not-canonical' } }
    }
    if (canonicalJson(parsed) !== e.record) {
      return { broken: { seq: e.seq, reason: 'not-canonical' } }
    }
    if (entryHash(e.prevHash, e) !== e.hash) return { broken: { seq: e.seq, reason: 'hash' } }
    if (!columnsMatch(e, i)) return { broken: { seq: e.seq, reason: 'columns' } }
    tail = { seq: e.seq, hash: e.hash }
  }
  return { tail }
}
