// Files in the data directory. Secrets are written 0600 and every file is replaced atomically
// (write a temporary file, fsync, rename), so a crash never leaves a half-written key behind.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
  chmodSync,
  fchmodSync,
  ftruncateSync,
  rmSync,
  constants,
} from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'

export function ensureDir(path: string, mode = 0o700): void {
  mkdirSync(path, { recursive: true, mode })
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  ensureDir(dirname(path))
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const fd = openSync(tmp, 'wx', mode)
  try {
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    chmodSync(tmp, mode)
    renameSync(tmp, path)
  } catch (error) {
    // A full disk: leave no temporary file behind, and the old file as it was.
    rmSync(tmp, { force: true })
    throw error
  }
}

export function writeSecretFile(path: string, data: string | Uint8Array): void {
  writeFileAtomic(path, data, 0o600)
}

/**
 * Replaces a file's content keeping its inode, for a file that is bind-mounted elsewhere (a
 * rename would leave the mount on the old inode). Readers may see it half-written for an
 * instant, so only for content that is rebuilt in full on every change (`vault-hosts`).
 */
export function rewriteInPlace(path: string, data: string, mode = 0o644): void {
  ensureDir(dirname(path))
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, mode)
  try {
    fchmodSync(fd, mode)
    ftruncateSync(fd, 0)
    writeSync(fd, Buffer.from(data), 0, undefined, 0)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
