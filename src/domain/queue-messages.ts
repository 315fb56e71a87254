// The rules of Azure Queue Storage messages (https://learn.microsoft.com/rest/api/storageservices/put-message,
// .../get-messages, .../update-message): how long a message lives, when it is visible, how big
// it may be. Times are absolute epoch ms, so they mean the same after a restart.

/** Visibility timeouts: at most seven days. */
export const MAX_VISIBILITY_SECONDS = 7 * 24 * 60 * 60
/** A message's time to live when Put Message names none: seven days. */
export const DEFAULT_TTL_SECONDS = 7 * 24 * 60 * 60
/** The largest positive messagettl: Azure reads it as a 32-bit integer. */
export const MAX_TTL_SECONDS = 2_147_483_647
/** Get Messages hides what it returns for 30 s unless told otherwise. */
export const DEFAULT_DEQUEUE_VISIBILITY_SECONDS = 30
/** Get Messages and Peek Messages return 1 to 32 messages. */
export const MAX_MESSAGES_PER_GET = 32
/** A message's text: at most 64 KiB (UTF-8), as Azure since version 2011-08-18. */
export const MAX_MESSAGE_BYTES = 64 * 1024
/** What Azure reports as the expiry of a message put with messagettl=-1: 9999-12-31T23:59:59Z. */
export const NEVER_EXPIRES_AT = 253_402_300_799_000

export interface MessageTimes {
  insertedAt: number
  expiresAt: number
  visibleAt: number
}

export type TimesProblem =
  | { kind: 'ttl-out-of-range' }
  | { kind: 'visibility-out-of-range' }
  | { kind: 'visibility-past-expiry' }

/**
 * The times of a message put at `now`. `ttlSeconds` -1 means it never expires; otherwise it is
 * 1 or more. The visibility timeout is 0 to 7 days and must end before the message expires.
 */
export function putTimes(
  now: number,
  ttlSeconds: number = DEFAULT_TTL_SECONDS,
  visibilitySeconds = 0,
): MessageTimes | TimesProblem {
  if (ttlSeconds !== -1 && ttlSeconds < 1) return { kind: 'ttl-out-of-range' }
  if (visibilitySeconds < 0 || visibilitySeconds > MAX_VISIBILITY_SECONDS) {
    return { kind: 'visibility-out-of-range' }
  }
  const expiresAt = ttlSeconds === -1 ? NEVER_EXPIRES_AT : now + ttlSeconds * 1000
  const visibleAt = now + visibilitySeconds * 1000
  if (ttlSeconds !== -1 && visibleAt >= expiresAt) return { kind: 'visibility-past-expiry' }
  return { insertedAt: now, expiresAt, visibleAt }
}

/** Whether a message's text fits: its UTF-8 length is at most 64 KiB. */
export function isMessageSizeAllowed(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') <= MAX_MESSAGE_BYTES
}
