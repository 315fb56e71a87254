// Client secrets: 256-bit random values shown once and stored as SHA-256 digests. A fast hash is
// enough because the secret has full entropy (no dictionary to search); comparison is constant
// time so the digest cannot be learned byte by byte.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ClientSecretRow } from '../store/schema.js'

export function generateClientSecret(): string {
  return `kls~${randomBytes(32).toString('base64url')}`
}

export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** True when `secret` matches one of the stored, unexpired secrets. Every row is compared. */
export function matchesClientSecret(secret: string, rows: ClientSecretRow[], now: number): boolean {
  const given = Buffer.from(hashClientSecret(secret), 'hex')
  let ok = false
  for (const row of rows) {
    const stored = Buffer.from(row.secret_hash, 'hex')
    const same = stored.length === given.length && timingSafeEqual(stored, given)
    const live = row.expires_at === null || row.expires_at > now
    ok = (same && live) || ok
  }
  return ok
}
