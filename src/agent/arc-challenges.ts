// The Azure Arc (HIMDS) challenge: an unauthenticated request gets a 401 naming a fresh key file
// that only root (or a dedicated group) can read; the retry proves the caller read it by sending
// its contents as `Authorization: Basic <contents>` (identity-protocols.md §5). Each key is
// bound to the request it answered (listener and query), expires after a minute, and is deleted
// on first presentation, whether or not it matches.
import { createHash, randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import type { Clock } from '../domain/clock.js'

/** Clients accept exactly this directory on Linux (msal-node `SUPPORTED_AZURE_ARC_PLATFORMS`). */
export const ARC_TOKENS_DIR = '/var/opt/azcmagent/tokens'
/** Clients refuse larger key files (msal-node `AZURE_ARC_SECRET_FILE_MAX_SIZE_BYTES`). */
export const ARC_KEY_MAX_BYTES = 4096

export interface ArcChallengeOptions {
  clock: Clock
  /** Default ARC_TOKENS_DIR. */
  dir?: string
  /** Key lifetime (default 60 s). */
  ttlMs?: number
  /** Outstanding keys at most (default 256); beyond, callers are told to come back. */
  maxOutstanding?: number
  /**
   * Outstanding keys of one caller (its uid) at most (default 16): one local user cannot take
   * every key and make Arc answer 429 to everyone else (issue 19.8).
   */
  maxPerCaller?: number
  /** A group allowed to read the keys: files 0640 and directory 0750 instead of 0600/0700. */
  groupId?: number
}

export type Redemption = 'ok' | 'unknown' | 'expired' | 'mismatch'

interface Challenge {
  path: string
  scope: string
  owner: string
  expiresAt: number
}

export class TooManyChallenges extends Error {
  constructor() {
    super('too many outstanding arc challenges')
    this.name = 'TooManyChallenges'
  }
}

export type ArcChallenges = ReturnType<typeof createArcChallenges>

const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex')

/** Creates the tokens directory if needed and refuses one that another user could have planted. */
function prepareDirectory(dir: string, groupId: number | undefined): void {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 })
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  const st = lstatSync(dir)
  const uid = process.getuid?.()
  if (!st.isDirectory()) throw new TypeError(`arc tokens directory ${dir} is not a directory`)
  if (uid !== undefined && st.uid !== uid) {
    throw new TypeError(`arc tokens directory ${dir} is not owned by this user`)
  }
  chmodSync(dir, groupId === undefined ? 0o700 : 0o750)
}

export function createArcChallenges(o: ArcChallengeOptions) {
  const dir = o.dir ?? ARC_TOKENS_DIR
  const ttl = o.ttlMs ?? 60_000
  const max = o.maxOutstanding ?? 256
  const maxPerCaller = o.maxPerCaller ?? Math.min(16, max)
  if (!(maxPerCaller >= 1) || !(max >= maxPerCaller)) {
    throw new TypeError('arc challenge limits must satisfy 1 ≤ maxPerCaller ≤ maxOutstanding')
  }
  const fileMode = o.groupId === undefined ? 0o600 : 0o640
  prepareDirectory(dir, o.groupId)
  const byDigest = new Map<string, Challenge>()
  const perOwner = new Map<string, number>()

  const remove = (d: string, c: Challenge) => {
    byDigest.delete(d)
    const left = (perOwner.get(c.owner) ?? 1) - 1
    if (left > 0) perOwner.set(c.owner, left)
    else perOwner.delete(c.owner)
    rmSync(c.path, { force: true })
  }
  const isFull = (owner: string) =>
    byDigest.size >= max || (perOwner.get(owner) ?? 0) >= maxPerCaller

  function sweep(): number {
    const now = o.clock.now()
    let n = 0
    for (const [d, c] of byDigest) {
      if (c.expiresAt <= now) {
        remove(d, c)
        n++
      }
    }
    return n
  }

  return {
    dir,
    /**
     * Writes a new key file for a request in `scope` by `owner` (the caller's uid, or any stable
     * name of who asks); returns its absolute path (the realm).
     */
    issue(scope: string, owner = ''): string {
      if (isFull(owner) && (sweep(), isFull(owner))) throw new TooManyChallenges()
      const secret = randomBytes(32).toString('base64url')
      const path = join(dir, `${randomBytes(16).toString('hex')}.key`)
      const fd = openSync(path, 'wx', fileMode)
      try {
        fchmodSync(fd, fileMode)
        if (o.groupId !== undefined) fchownSync(fd, process.getuid?.() ?? 0, o.groupId)
        writeSync(fd, secret)
      } finally {
        closeSync(fd)
      }
      byDigest.set(digest(secret), { path, scope, owner, expiresAt: o.clock.now() + ttl })
      perOwner.set(owner, (perOwner.get(owner) ?? 0) + 1)
      return path
    },
    /** Checks a presented key against the scope of the request; every presented key is spent. */
    redeem(secret: string, scope: string): Redemption {
      const d = digest(secret)
      const c = byDigest.get(d)
      if (!c) return 'unknown'
      remove(d, c)
      if (c.expiresAt <= o.clock.now()) return 'expired'
      return c.scope === scope ? 'ok' : 'mismatch'
    },
    /** Deletes expired keys; returns how many. */
    sweep,
    get outstanding(): number {
      return byDigest.size
    },
    /** Deletes every outstanding key. */
    close(): void {
      for (const [d, c] of byDigest) remove(d, c)
    },
  }
}
