// One Keyless per data directory. The lock is an exclusive SQLite transaction held open on
// `<dataDir>/lock` for the life of the process: SQLite takes it with a POSIX advisory lock
// (fcntl), which the kernel drops when the process dies however it dies, so a crashed
// instance never blocks the next start and no stale-lock guessing (pid reuse) is needed. A
// second process gets SQLITE_BUSY at once (busy_timeout 0). SQLite also refuses a second
// connection within the same process, so tests that start two servers in one process see
// the same refusal. The owner's pid and URL live beside it in `owner.json`, because a locked
// database cannot be read by the process that is refused.
import Database from 'better-sqlite3'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeSecretFile } from '../common/files.js'

export interface DataDirOwner {
  pid: number
  url?: string
  startedAt: string
}

export class DataDirLocked extends Error {
  readonly owner?: DataDirOwner
  constructor(dataDir: string, owner: DataDirOwner | undefined) {
    super(
      owner
        ? `the data directory ${dataDir} is in use by Keyless pid ${owner.pid}` +
            (owner.url ? ` at ${owner.url}` : ' (still starting)') +
            '; stop it first or choose another --data-dir'
        : `the data directory ${dataDir} is in use by another Keyless; stop it first or choose another --data-dir`,
    )
    this.name = 'DataDirLocked'
    this.owner = owner
  }
}

export interface DataDirLock {
  /** Records the URL the owner serves, for the message a refused second start prints. */
  setUrl(url: string): void
  release(): void
}

export function readOwner(dataDir: string): DataDirOwner | undefined {
  const file = join(dataDir, 'owner.json')
  if (!existsSync(file)) return undefined
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as DataDirOwner
    return typeof o.pid === 'number' ? o : undefined
  } catch {
    return undefined
  }
}

/** Takes the lock or throws DataDirLocked without changing anything on disk. */
export function lockDataDir(dataDir: string, pid = process.pid): DataDirLock {
  const db = new Database(join(dataDir, 'lock'), { timeout: 0 })
  try {
    // The rollback journal (not WAL): an exclusive lock there keeps every other connection out.
    db.pragma('journal_mode = DELETE')
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('begin exclusive')
  } catch (error) {
    db.close()
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new DataDirLocked(dataDir, readOwner(dataDir))
    }
    throw error
  }
  const ownerFile = join(dataDir, 'owner.json')
  let owner: DataDirOwner = { pid, startedAt: new Date().toISOString() }
  writeSecretFile(ownerFile, JSON.stringify(owner) + '\n')
  let released = false
  return {
    setUrl(url) {
      owner = { ...owner, url }
      writeSecretFile(ownerFile, JSON.stringify(owner) + '\n')
    },
    release() {
      if (released) return
      released = true
      rmSync(ownerFile, { force: true })
      db.exec('rollback')
      db.close()
    },
  }
}
