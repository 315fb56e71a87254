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
  rmSync,
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
