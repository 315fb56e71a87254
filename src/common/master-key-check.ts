// Replicas of `keyless server` must hold the same master key: one with another key would seal
// what it writes under a key the others cannot open. The database keeps a check value, an HMAC
// of a fixed label under the derived `key-check` key: it says whether two keys are the same
// and nothing about either (a one-way function of a key derived for this use only).
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { KeyHierarchy } from './key-hierarchy.js'

const LABEL = 'keyless master key check v1'

export function masterKeyCheck(keys: KeyHierarchy): string {
  return createHmac('sha256', keys.forPurpose('key-check').key).update(LABEL).digest('base64url')
}

/** Constant time, like every comparison of secret-derived values. */
export function matchesMasterKeyCheck(keys: KeyHierarchy, stored: string): boolean {
  const mine = Buffer.from(masterKeyCheck(keys))
  const theirs = Buffer.from(stored)
  return mine.length === theirs.length && timingSafeEqual(mine, theirs)
}
