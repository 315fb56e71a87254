// The Queue endpoint as a Fastify plugin. Every request runs the Blob endpoint's visible
// pipeline, with its pieces: parse the URL → recognise the operation → authenticate → find the
// account → authorize → run the operation. Errors leave through the Blob renderer (Azure
// Storage's XML <Error>), and every response carries x-ms-request-id, x-ms-version and Date.
import type { FastifyInstance } from 'fastify'
import { resolveAccount } from '../blob/accounts.js'
import { authenticate, blobAudiences } from '../blob/authenticate.js'
import { commonHeaders } from '../blob/plugin.js'
import { createErrorRenderer } from '../blob/render.js'
import { MAX_MESSAGE_BYTES } from '../../domain/queue-messages.js'
import { queueScope, queueServiceScope } from './authorize.js'
import type { QueueCall, QueueService } from './call.js'
import { QueueErrors } from './errors.js'
import { resolveQueueOperation, type QueueOperation } from './operations.js'
import { parseQueueUrl } from './target.js'

/** Raw XML bodies up to this size are read: 64 KiB of text, escaped at worst 6 bytes a byte,
 * and the envelope. The text's own limit is checked after unescaping (messages.ts). */
export const MAX_BODY_BYTES = MAX_MESSAGE_BYTES * 6 + 1024

function authorize(call: QueueCall, operation: QueueOperation): void {
  const scope =
    call.target.queue === undefined
      ? queueServiceScope(call.account.id)
      : queueScope(call.account.id, call.target.queue)
  const decision = call.svc.authorizer.decide(call.principalId, operation.grant, scope)
  if (decision.allowed) return
  call.req.log.info(
    { principalId: call.principalId, action: decision.action, scope, reason: decision.reason },
    'queue access refused',
  )
  throw QueueErrors.permissionMismatch()
}

export async function queuePlugin(app: FastifyInstance, svc: QueueService): Promise<void> {
  // Every body, whatever its Content-Type, reaches the operation as a string.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (_r, body, done) => done(null, body),
  )
  app.setErrorHandler(createErrorRenderer(() => svc.o.clock.now()))
  app.addHook(
    'onRequest',
    commonHeaders(() => svc.o.clock.now()),
  )
  app.setNotFoundHandler(async () => {
    throw QueueErrors.unsupportedVerb()
  })

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS'],
    url: '*',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const now = svc.o.clock.now()
      const { target, query } = parseQueueUrl(request.raw.url ?? '/')
      const operation = resolveQueueOperation(request.method, target, query)
      const audiences = blobAudiences(
        `${svc.endpoint()}/${target.account}`,
        svc.o.extraAudiences ?? [],
      )
      const claims = await authenticate(request.headers, query, audiences, svc.o)
      const account = await resolveAccount(svc.o.store, target.account, request.log)
      const call: QueueCall = {
        svc,
        req: request,
        reply,
        target,
        query,
        account,
        principalId: claims.oid,
        now,
      }
      authorize(call, operation)
      await operation.handle(call)
      return reply
    },
  })
}
