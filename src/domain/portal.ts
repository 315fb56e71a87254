// The portal's sign-in rules (issue 17): a one-time link from `keyless portal` becomes a session
// cookie; the page then asks for short bearer tokens and calls the same APIs as the CLI.

/** How long a sign-in link can be redeemed: long enough to click it, short enough that a link
 * left in a terminal's scrollback is dead. */
export const PORTAL_LINK_LIFETIME_MS = 5 * 60_000
/** A working day; after it the operator runs `keyless portal` again. */
export const PORTAL_SESSION_LIFETIME_MS = 8 * 3_600_000
/** The page's bearer tokens: short, so that a token copied out of the page is soon worthless. */
export const PORTAL_TOKEN_LIFETIME_MS = 10 * 60_000

/** `__Host-`: the browser accepts it only with Secure, Path=/ and no Domain, so no sibling host
 * can set or shadow it (RFC 6265bis §4.1.3.2). */
export const SESSION_COOKIE = '__Host-keyless-portal'
/** The header a cookie-authenticated write must carry: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-keyless-csrf'

/** Minting a link that acts as another principal is impersonation: an installation-level
 * action (Owner at '/' has it; a Reader does not). A link for oneself needs no grant. */
export const PORTAL_LINK_ACTION = 'Keyless/portal/links/write'

export const PORTAL_PATH = '/portal/'
export const PORTAL_SIGN_IN_PATH = '/portal/sign-in'

export function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${Math.floor(maxAgeSeconds)}; HttpOnly; Secure; SameSite=Strict`
}

export const clearedSessionCookie = () => sessionCookie('', 0)

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
