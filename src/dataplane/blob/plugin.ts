// The Blob endpoint as a Fastify plugin. Every request runs the same visible pipeline:
//   parse the URL → recognise the operation → authenticate → find the account → authorize →
//   run the operation.
// Bodies are not parsed: the parser hands the raw stream to the operation, which streams it to
// disk. Errors leave through the one renderer (render.ts), and every response, errors included,
// carries x-ms-request-id, x-ms-version and Date.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { resolveAccount } from './accounts.js'
import { authenticate, blobAudiences, DEFAULT_VERSION, requestVersion } from './authenticate.js'
import { BlobActions, scopeOf } from './authorize.js'
import type { Call, Service } from './call.js'
import { BlobErrors } from './errors.js'
import { httpDate } from './etag.js'
import { resolveOperation, type Operation } from './operations.js'
import { createErrorRenderer } from './render.js'
import { parseUrl } from './target.js'

/** The headers Azure Storage puts on every response, errors included (Queue uses them too). */
export function commonHeaders(now: () => number) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    let version = DEFAULT_VERSION
    try {
      version = requestVersion(request.headers) ?? DEFAULT_VERSION
    } catch {
      // A malformed version is refused by authentication; the response names Keyless's own.
    }
    reply.headers({
      'x-ms-request-id': String(request.id),
      'x-ms-version': version,
      date: httpDate(now()),
    })
    const clientId = request.headers['x-ms-client-request-id']
    if (typeof clientId === 'string')
      reply.header('x-ms-client-request-id', clientId.slice(0, 1024))
  }
}

/** Refuses unless the caller may run the operation. A blob that does not exist yet may also be
 * created with `add/action` (reference §8 table). */
async function authorize(call: Call, operation: Operation): Promise<void> {
  const { authorizer, o } = call.svc
  const scope = scopeOf(call.account.id, call.target)
  const decision = authorizer.decide(call.principalId, operation.action, scope)
  if (decision.allowed) return
  if (
    operation.createsBlob &&
    call.target.container !== undefined &&
    call.target.blob !== undefined
  ) {
    if (authorizer.decide(call.principalId, BlobActions.blobsAdd, scope).allowed) {
      const container = await o.store.blobContainers.fetch(call.account.key, call.target.container)
      if (container === undefined) return
      if ((await o.store.blobs.fetch(container.id, call.target.blob)) === undefined) return
    }
  }
  call.req.log.info(
    { principalId: call.principalId, action: operation.action, scope, reason: decision.reason },
    'blob access refused',
  )
  throw BlobErrors.permissionMismatch()
}

export async function blobPlugin(app: FastifyInstance, svc: Service): Promise<void> {
  // Every body, whatever its Content-Type, reaches the operation as the raw stream: Fastify's
  // own JSON and text parsers would hand it an object or a string instead (a 500 once, for Put
  // Block List sent as text/plain or application/json).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  app.setErrorHandler(createErrorRenderer(() => svc.o.clock.now()))
  app.addHook(
    'onRequest',
    commonHeaders(() => svc.o.clock.now()),
  )
  app.setNotFoundHandler(async () => {
    throw BlobErrors.unsupportedVerb()
  })

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS'],
    url: '*',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const now = svc.o.clock.now()
      const { target, query } = parseUrl(request.raw.url ?? '/')
      const operation = resolveOperation(request.method, target, query)
      const audiences = blobAudiences(
        `${svc.endpoint()}/${target.account}`,
        svc.o.extraAudiences ?? [],
      )
      const claims = await authenticate(request.headers, query, audiences, svc.o)
      const account = await resolveAccount(svc.o.store, target.account, request.log)
      const call: Call = {
        svc,
        req: request,
        reply,
        target,
        query,
        account,
        principalId: claims.oid,
        now,
      }
      await authorize(call, operation)
      await operation.handle(call)
      return reply
    },
  })
}
