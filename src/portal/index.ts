// The portal (issue 17) as one Fastify plugin: its static page at /portal/, the sign-in that
// turns a one-time link into a session cookie, the session's short bearer tokens, and the API
// `keyless portal` calls to mint a link. Everything the page shows or changes goes through ARM
// and /keyless/v1 with those bearer tokens, where RBAC decides as for the CLI.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { API_PREFIX } from '../common/agent-protocol.js'
import type { VerifiedClaims } from '../common/access-token.js'
import { renderArmError } from '../arm/envelope.js'
import { BadRequest, Forbidden, NotFound, Unauthenticated } from '../domain/errors.js'
import {
  CSRF_HEADER,
  PORTAL_LINK_ACTION,
  PORTAL_PATH,
  PORTAL_SESSION_LIFETIME_MS,
  clearedSessionCookie,
  sessionCookie,
} from '../domain/portal.js'
import type { MintSessionToken } from '../sts/index.js'
import type { PrincipalStore } from '../store/store.js'
import { csrfTokenOf, isCsrfValid, type PortalSession, type PortalSessions } from './sessions.js'
import { loadStaticFiles, type StaticFile } from './static-files.js'

export const PORTAL_LINKS_PATH = `${API_PREFIX}/portal/links`

export interface PortalOptions {
  sessions: PortalSessions
  mintToken: MintSessionToken
  principals: Pick<PrincipalStore, 'fetch'>
  authenticate: (req: FastifyRequest) => Promise<VerifiedClaims>
  authorizeOperator: (req: FastifyRequest, action: string) => Promise<unknown>
  publicUrl: () => string
  /** The audience of the page's tokens: the management endpoint (ARM and /keyless/v1). */
  audience: string
  tenantId: string
  staticFiles?: Map<string, StaticFile>
}

// The page loads nothing from elsewhere, runs no inline script and may not be framed.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

// The portal's writes touch its own table only, nothing the change feed carries: their
// responses need not wait for the feed (server/read-your-writes.ts).
const NO_CHANGES = { config: { commitsNoChanges: true } }

const sessionRequired = () =>
  new Unauthenticated('PortalSessionRequired', 'sign in with a link from `keyless portal`')

export async function portalPlugin(app: FastifyInstance, o: PortalOptions): Promise<void> {
  app.setErrorHandler(renderArmError)
  const files = o.staticFiles ?? loadStaticFiles()

  const serve = (name: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
    const file = files.get(name)
    if (!file) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The portal is not built: run `node scripts/build-portal.js` (npm run build does).')
    }
    return reply
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', name === 'index.html' ? 'no-store' : 'no-cache')
      .type(file.contentType)
      .send(file.body)
  }
  app.get('/portal', (_req, reply) => reply.redirect(PORTAL_PATH, 308))
  app.get(PORTAL_PATH, serve('index.html'))
  app.get<{ Params: { file: string } }>(`${PORTAL_PATH}:file`, (req, reply) =>
    files.has(req.params.file) && req.params.file !== 'index.html'
      ? serve(req.params.file)(req, reply)
      : reply.code(404).send({ error: { code: 'NotFound', message: 'no such portal file' } }),
  )

  // A write that a cookie authenticates must come from the page itself: the browser's Origin
  // header (sent on every cross-origin and every POST fetch) and the session's CSRF token.
  function checkOrigin(req: FastifyRequest) {
    const origin = req.headers.origin
    if (origin !== undefined && origin !== new URL(o.publicUrl()).origin) {
      throw new Forbidden('CrossOriginRequest', 'the portal accepts writes from its own page only')
    }
  }
  async function sessionOf(req: FastifyRequest, write: boolean): Promise<PortalSession> {
    if (write) checkOrigin(req)
    const session = await o.sessions.fromCookie(req.headers.cookie)
    if (!session) throw sessionRequired()
    if (write && !isCsrfValid(session, req.headers[CSRF_HEADER])) {
      throw new Forbidden('CsrfTokenInvalid', `the ${CSRF_HEADER} header is missing or wrong`)
    }
    return session
  }
  const describe = async (session: PortalSession) => {
    const p = await o.principals.fetch(session.row.principal_id)
    return {
      principalId: session.row.principal_id,
      displayName: p?.display_name ?? session.row.principal_id,
      principalType: p?.principal_type,
      tenantId: o.tenantId,
      expiresAt: new Date(session.row.expires_at).toISOString(),
      csrfToken: csrfTokenOf(session),
    }
  }

  app.post<{ Body: unknown }>('/portal/api/sign-in', NO_CHANGES, async (req, reply) => {
    checkOrigin(req)
    const code = (req.body as { code?: unknown } | undefined)?.code
    const session = await o.sessions.redeem(typeof code === 'string' ? code : undefined)
    if (!session) {
      throw new Unauthenticated(
        'SignInLinkInvalid',
        'this sign-in link is unknown, used already or expired: run `keyless portal` for a new one',
      )
    }
    void reply.header(
      'set-cookie',
      sessionCookie(session.secret, PORTAL_SESSION_LIFETIME_MS / 1000),
    )
    return describe(session)
  })
  app.get('/portal/api/session', async (req, reply) => {
    void reply.header('cache-control', 'no-store')
    return describe(await sessionOf(req, false))
  })
  app.post('/portal/api/token', NO_CHANGES, async (req, reply) => {
    const session = await sessionOf(req, true)
    const token = await o.mintToken({
      principalId: session.row.principal_id,
      audience: o.audience,
      correlationId: req.id,
      ipAddress: req.ip,
    })
    void reply.header('cache-control', 'no-store')
    return token
  })
  app.post('/portal/api/sign-out', NO_CHANGES, async (req, reply) => {
    await o.sessions.end(await sessionOf(req, true))
    return reply.header('set-cookie', clearedSessionCookie()).code(204).send()
  })

  // `keyless portal [--as <principal>]`: a link for oneself needs a valid token only (the page
  // can do no more than the caller could); a link for another principal needs PORTAL_LINK_ACTION.
  app.post<{ Body: unknown }>(PORTAL_LINKS_PATH, NO_CHANGES, async (req, reply) => {
    const claims = await o.authenticate(req)
    const asked = (req.body as { principalId?: unknown } | undefined)?.principalId
    if (asked !== undefined && typeof asked !== 'string') {
      throw new BadRequest('InvalidRequestContent', "'principalId' must be a string")
    }
    const principalId = asked ?? claims.oid
    if (principalId !== claims.oid) await o.authorizeOperator(req, PORTAL_LINK_ACTION)
    const principal = await o.principals.fetch(principalId)
    if (!principal) {
      throw new NotFound(
        'PrincipalNotFound',
        `no service principal with object id '${principalId}'`,
      )
    }
    const link = await o.sessions.createLink(principalId, claims.oid)
    // The code travels in the fragment, which browsers never send: it stays out of request
    // logs and Referer headers; the page posts it once.
    return reply.code(201).send({
      url: `${o.publicUrl()}${PORTAL_PATH}#sign-in=${link.code}`,
      principalId,
      displayName: principal.display_name,
      expiresAt: new Date(link.expiresAt).toISOString(),
    })
  })
}
