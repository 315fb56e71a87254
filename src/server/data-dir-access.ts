// The data directory holds the database, the master key and the CA key: only its owner may
// read it, whatever mode it had when it was created (by a previous version, a package script or
// a hand-run mkdir), and every file created in it is private (umask 077).
import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

/** Creates the directory if needed (0700) and makes every file created from now on private. */
export function createDataDir(dataDir: string): void {
  // Before anything is created, so that even the lock file is private.
  process.umask(0o077)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
}

/** Forces 0700 and umask 077 (called once the lock is held, so a refused start changes
 * nothing); returns warnings about the directory's surroundings. */
export function restrictDataDir(dataDir: string): string[] {
  if ((statSync(dataDir).mode & 0o777) !== 0o700) chmodSync(dataDir, 0o700)
  const warnings: string[] = []
  const parent = dirname(dataDir)
  const p = statSync(parent)
  // A parent that others may write to lets them rename the data directory away and put their
  // own in its place; the sticky bit (as on /tmp) forbids renaming what one does not own.
  if (p.mode & 0o002 && !(p.mode & 0o1000)) {
    warnings.push(`the data directory's parent ${parent} is writable by other users`)
  }
  const own = statSync(dataDir)
  if (typeof process.getuid === 'function' && own.uid !== process.getuid()) {
    warnings.push(`the data directory ${dataDir} belongs to uid ${own.uid}, not to this user`)
  }
  return warnings
}
