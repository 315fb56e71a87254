// Framework glue: the same two steps everywhere — verify the bearer token, then (optionally)
// authorize an action — with 401/403/503 answered as JSON and a `WWW-Authenticate` challenge.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { KeylessVerifyError } from './errors.js'
import type { KeylessPrincipal, Verifier } from './verifier.js'

export function bearerOf(req: IncomingMessage): string {
  const h = req.headers.authorization
  const m = h ? /^Bearer +(\S+)$/i.exec(h) : null
  if (!m)
    throw new KeylessVerifyError('ERR_KEYLESS_TOKEN_MISSING', 'the request has no bearer token')
  return m[1]!
}

/**
 * The principal of a node:http request, or a thrown KeylessVerifyError. Middleware for
 * frameworks: `keylessFastify(verifier)` (register it; `request.keyless` holds the caller),
 * `keylessExpress(verifier)` (`req.keyless`), and for plain node:http
 * `authenticateRequest(verifier, req)` with `sendVerifyError(res, err)`.
 *
 * @example
 * ```js
 * import http from 'node:http'
 * import { authenticateRequest, sendVerifyError } from 'keyless/verify'
 * http.createServer(async (req, res) => {
 *   try {
 *     const caller = await authenticateRequest(verifier, req)
 *     res.end(`hello ${caller.objectId}`)
 *   } catch (err) {
 *     sendVerifyError(res, err)
 *   }
 * })
 * ```
 */
export async function authenticateRequest(
  verifier: Verifier,
  req: IncomingMessage,
): Promise<KeylessPrincipal> {
  return verifier.verify(bearerOf(req))
}

/** Writes the error response for a KeylessVerifyError (others are rethrown). */
export function sendVerifyError(res: ServerResponse, err: unknown): void {
  if (!(err instanceof KeylessVerifyError)) throw err
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
  if (err.status === 401)
    headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${err.message}"`
  res.writeHead(err.status, headers)
  res.end(JSON.stringify({ error: { code: err.code, message: err.message } }))
}

type Next = (err?: unknown) => void
interface ExpressLikeRequest extends IncomingMessage {
  keyless?: KeylessPrincipal
}

/** Express (or Connect) middleware: sets `req.keyless` or answers 401. */
export function keylessExpress(verifier: Verifier) {
  return (req: ExpressLikeRequest, res: ServerResponse, next: Next): void => {
    authenticateRequest(verifier, req)
      .then((principal) => {
        req.keyless = principal
        next()
      })
      .catch((err: unknown) =>
        err instanceof KeylessVerifyError ? sendVerifyError(res, err) : next(err),
      )
  }
}

interface FastifyLike {
  decorateRequest(name: string, value: unknown): unknown
  addHook(
    name: 'onRequest',
    hook: (
      req: { raw: IncomingMessage; keyless?: KeylessPrincipal },
      reply: {
        code(n: number): unknown
        header(k: string, v: string): unknown
        send(b: unknown): unknown
        hijack?: () => void
      },
    ) => Promise<unknown>,
  ): unknown
}

/** A Fastify plugin: every request in its scope must carry a valid token; `request.keyless`. */
export function keylessFastify(verifier: Verifier) {
  const plugin = async (app: FastifyLike) => {
    app.decorateRequest('keyless', null)
    app.addHook('onRequest', async (req, reply) => {
      try {
        req.keyless = await authenticateRequest(verifier, req.raw)
      } catch (err) {
        if (!(err instanceof KeylessVerifyError)) throw err
        if (err.status === 401)
          reply.header(
            'www-authenticate',
            `Bearer error="invalid_token", error_description="${err.message}"`,
          )
        reply.code(err.status)
        return reply.send({ error: { code: err.code, message: err.message } })
      }
    })
  }
  // Fastify encapsulation: apply the hook to the registering scope (fastify-plugin's marker).
  ;(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true
  return plugin
}
