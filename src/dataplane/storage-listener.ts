// What the Blob and Queue endpoints share: each is a Fastify app on its own HTTPS port, path-style
// (`https://127.0.0.1:<port>/<account>/…`), whose every request runs one visible pipeline:
//   parse the URL → recognise the operation → authenticate → find the account → authorize →
//   run the operation.
// Errors leave through one renderer (Azure Storage's XML <Error>, blob/render.ts), and every
// response, errors included, carries x-ms-request-id, x-ms-version and Date. A service supplies
// only its URL parser, its operation table and its authorization; see blob/ and queue/.
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import type { Clock } from '../domain/clock.js'
import { clientErrorResponder } from '../common/framework-errors.js'
import { urlHost } from '../common/public-url.js'
import type { Store } from '../store/store.js'
import { resolveAccount } from './blob/accounts.js'
import {
  authenticate,
  blobAudiences,
  DEFAULT_VERSION,
  requestVersion,
  type AuthenticateOptions,
} from './blob/authenticate.js'
import type { Account } from './blob/call.js'
import { BlobErrors } from './blob/errors.js'
import { httpDate } from './blob/etag.js'
import { createErrorRenderer, errorXml } from './blob/render.js'

/** The service-wide parts the pipeline reads. */
export interface StorageService {
  o: AuthenticateOptions & {
    clock: Clock
    store: Pick<Store, 'blobContainers'>
    extraAudiences?: readonly string[]
  }
  /** `https://host:port` as clients reach it. */
  endpoint(): string
}

/** One request on its way through the pipeline. */
export interface StorageCall<S, T> {
  svc: S
  req: FastifyRequest
  reply: FastifyReply
  target: T
  query: ReadonlyMap<string, string>
  account: Account
  principalId: string
  now: number
}

/** What tells one storage service from another. */
export interface StoragePipeline<S extends StorageService, T extends { account: string }, Op> {
  /** Bodies reach operations as the raw stream (Blob streams them to disk) or as a string of at
   * most `bodyLimit` bytes (Queue's XML). Never parsed by Fastify, whatever the Content-Type. */
  body: { as: 'stream' } | { as: 'string'; bodyLimit: number }
  parseUrl(rawUrl: string): { target: T; query: ReadonlyMap<string, string> }
  resolveOperation(method: string, target: T, query: ReadonlyMap<string, string>): Op
  /** Throws the service's refusal unless the caller may run the operation. */
  authorize(call: StorageCall<S, T>, operation: Op): void | Promise<void>
  run(call: StorageCall<S, T>, operation: Op): Promise<void>
}

/** The headers Azure Storage puts on every response, errors included. */
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

/** The pipeline as a Fastify plugin: one catch-all route. */
export function storagePlugin<S extends StorageService, T extends { account: string }, Op>(
  pipeline: StoragePipeline<S, T, Op>,
) {
  return async (app: FastifyInstance, svc: S): Promise<void> => {
    // Fastify's own JSON and text parsers would hand an operation an object or a string instead
    // of what it reads (a 500 once, for Put Block List sent as text/plain or application/json).
    app.removeAllContentTypeParsers()
    const body = pipeline.body
    if (body.as === 'stream') {
      app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    } else {
      app.addContentTypeParser(
        '*',
        { parseAs: 'string', bodyLimit: body.bodyLimit },
        (_r, text, done) => done(null, text),
      )
    }
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
        const { target, query } = pipeline.parseUrl(request.raw.url ?? '/')
        const operation = pipeline.resolveOperation(request.method, target, query)
        const audiences = blobAudiences(
          `${svc.endpoint()}/${target.account}`,
          svc.o.extraAudiences ?? [],
        )
        const claims = await authenticate(request.headers, query, audiences, svc.o)
        const account = await resolveAccount(svc.o.store, target.account, request.log)
        const call: StorageCall<S, T> = {
          svc,
          req: request,
          reply,
          target,
          query,
          account,
          principalId: claims.oid,
          now,
        }
        await pipeline.authorize(call, operation)
        await pipeline.run(call, operation)
        return reply
      },
    })
  }
}

export interface StorageListenerOptions {
  /** `blob` or `queue`: names the service in misuse errors. */
  name: string
  tls: { certPem: string; keyPem: string }
  host: string
  port: number
  publicUrl?: string
  clock: Clock
  logger?: FastifyBaseLogger
  logLevel?: string
  register(app: FastifyInstance): Promise<void>
  /** Runs at start, before the app is built (Blob collects its orphaned files). */
  beforeListen?(): Promise<void>
  /** A housekeeping job run every `intervalMs` once listening (0 = never); failures are logged
   * with `failure` as the message. */
  every?: { intervalMs: number; run(): Promise<unknown>; failure: string }
}

export interface StorageListener {
  start(): Promise<void>
  stop(): Promise<void>
  /** `https://host:port`, once started. */
  endpoint(): string
}

const REDACT = ['req.headers.authorization']

export function createStorageListener(o: StorageListenerOptions): StorageListener {
  let endpoint: string | undefined
  let app: FastifyInstance | undefined
  let timer: NodeJS.Timeout | undefined
  return {
    endpoint() {
      if (endpoint === undefined) throw new TypeError(`the ${o.name} service is not started`)
      return endpoint
    },

    async start() {
      if (app !== undefined) throw new TypeError(`the ${o.name} service is already started`)
      await o.beforeListen?.()
      const renderFrameworkError = createErrorRenderer(() => o.clock.now())
      app = Fastify({
        https: { key: o.tls.keyPem, cert: o.tls.certPem },
        ...(o.logger
          ? { loggerInstance: o.logger }
          : { logger: { level: o.logLevel ?? 'warn', redact: REDACT } }),
        genReqId: () => randomUUID(),
        exposeHeadRoutes: false,
        // Errors the router raises before the plugin (a URL it cannot decode) use its renderer.
        frameworkErrors: (err, req, reply) => void renderFrameworkError(err, req, reply),
        clientErrorHandler: clientErrorResponder(() => ({
          contentType: 'application/xml',
          body: errorXml(BlobErrors.invalidInput(), randomUUID(), o.clock.now()),
        })),
      })
      await o.register(app)
      await app.listen({ host: o.host, port: o.port })
      const { port } = app.server.address() as AddressInfo
      endpoint = o.publicUrl ?? `https://${urlHost(o.host)}:${port}`
      const job = o.every
      if (job && job.intervalMs > 0) {
        const log = app.log
        timer = setInterval(() => {
          job.run().catch((err: unknown) => log.error({ err }, job.failure))
        }, job.intervalMs)
        timer.unref()
      }
    },

    async stop() {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      await app?.close()
      app = undefined
    },
  }
}
