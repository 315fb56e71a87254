// Sign-in links and sessions over the store. Secrets are 256-bit random values shown once (in
// the link, in the cookie); the store keeps their SHA-256, so a lookup by hash leaks nothing
// about the secret's value through timing. The CSRF token is derived from the session secret,
// so it needs no column and dies with the session.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import {
  PORTAL_LINK_LIFETIME_MS,
  PORTAL_SESSION_LIFETIME_MS,
  SESSION_COOKIE,
  readCookie,
} from '../domain/portal.js'
import type { PortalSessionRow } from '../store/schema.js'
import type { PortalSessionStore } from '../store/store.js'

const digest = (secret: string) => createHash('sha256').update(secret).digest('hex')
const newSecret = () => randomBytes(32).toString('base64url')
/** Secrets are base64url of 32 bytes; anything else is refused before touching the store. */
const SECRET = /^[A-Za-z0-9_-]{43}$/

export interface PortalSession {
  row: PortalSessionRow
  /** The cookie's secret, to derive the CSRF token from. */
  secret: string
}

export interface PortalSessionsOptions {
  store: PortalSessionStore
  clock: Clock
}

export function createPortalSessions(o: PortalSessionsOptions) {
  return {
    async createLink(principalId: string, createdBy: string) {
      const code = newSecret()
      const now = o.clock.now()
      const expiresAt = now + PORTAL_LINK_LIFETIME_MS
      await o.store.prune(now)
      await o.store.create({
        id: randomUUID(),
        link_hash: digest(code),
        session_hash: null,
        principal_id: principalId,
        created_by: createdBy,
        created_at: now,
        redeemed_at: null,
        expires_at: expiresAt,
      })
      return { code, expiresAt }
    },

    /** The session a link becomes, or undefined when the link is unknown, used or expired. */
    async redeem(code: string | undefined): Promise<PortalSession | undefined> {
      if (!code || !SECRET.test(code)) return undefined
      const secret = newSecret()
      const now = o.clock.now()
      const row = await o.store.redeem(digest(code), {
        sessionHash: digest(secret),
        now,
        expiresAt: now + PORTAL_SESSION_LIFETIME_MS,
      })
      return row && { row, secret }
    },

    /** The live session a request's cookie names, if any. */
    async fromCookie(cookieHeader: string | undefined): Promise<PortalSession | undefined> {
      const secret = readCookie(cookieHeader, SESSION_COOKIE)
      if (!secret || !SECRET.test(secret)) return undefined
      const row = await o.store.fetchBySessionHash(digest(secret), o.clock.now())
      return row && { row, secret }
    },

    end: (session: PortalSession) => o.store.delete(session.row.id),
  }
}

export type PortalSessions = ReturnType<typeof createPortalSessions>

export const csrfTokenOf = (session: PortalSession) =>
  createHash('sha256').update(`csrf:${session.secret}`).digest('base64url')

/** Constant-time: the header is compared with the session's token without early exit. */
export function isCsrfValid(session: PortalSession, header: unknown): boolean {
  if (typeof header !== 'string') return false
  const expected = Buffer.from(csrfTokenOf(session))
  const given = Buffer.from(header)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
