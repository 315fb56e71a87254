// The Queue service on its own HTTPS port, path-style like the Blob service
// (`https://127.0.0.1:<port>/<account>/<queue>`). Expired messages are invisible to every
// operation at once; a timer deletes their rows now and then.
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { clientErrorResponder } from '../../common/framework-errors.js'
import { urlHost } from '../../common/public-url.js'
import { createErrorRenderer, errorXml } from '../blob/render.js'
import { createQueueAuthorizer } from './authorize.js'
import type { QueueService as Service } from './call.js'
import { QueueErrors } from './errors.js'
import { resolveQueueOptions, type QueueServiceOptions } from './options.js'
import { queuePlugin } from './plugin.js'

export interface QueueService {
  start(): Promise<void>
  stop(): Promise<void>
  /** `https://host:port`, once started. */
  readonly endpoint: string
  /** The URL clients give `QueueServiceClient`: `<endpoint>/<account>`. */
  accountUrl(accountName: string): string
}

const REDACT = ['req.headers.authorization']

export function createQueueService(options: QueueServiceOptions): QueueService {
  const o = resolveQueueOptions(options)
  let endpoint: string | undefined
  let app: FastifyInstance | undefined
  let timer: NodeJS.Timeout | undefined
  const svc: Service = {
    o,
    authorizer: createQueueAuthorizer(o),
    endpoint: () => {
      if (endpoint === undefined) throw new TypeError('the queue service is not started')
      return endpoint
    },
  }

  return {
    get endpoint() {
      return svc.endpoint()
    },
    accountUrl: (name) => `${svc.endpoint()}/${name}`,

    async start() {
      if (app !== undefined) throw new TypeError('the queue service is already started')
      const renderFrameworkError = createErrorRenderer(() => o.clock.now())
      app = Fastify({
        https: { key: o.tls.keyPem, cert: o.tls.certPem },
        ...(o.logger
          ? { loggerInstance: o.logger }
          : { logger: { level: o.logLevel ?? 'warn', redact: REDACT } }),
        genReqId: () => randomUUID(),
        exposeHeadRoutes: false,
        frameworkErrors: (err, req, reply) => void renderFrameworkError(err, req, reply),
        clientErrorHandler: clientErrorResponder(() => ({
          contentType: 'application/xml',
          body: errorXml(QueueErrors.invalidInput(), randomUUID(), o.clock.now()),
        })),
      })
      await app.register(queuePlugin, svc)
      await app.listen({ host: o.host, port: o.port })
      const { port } = app.server.address() as AddressInfo
      endpoint = o.publicUrl ?? `https://${urlHost(o.host)}:${port}`
      if (o.pruneIntervalMs > 0) {
        const log = app.log
        timer = setInterval(() => {
          o.store.queues
            .pruneExpired(o.clock.now())
            .catch((err: unknown) => log.error({ err }, 'queue message pruning failed'))
        }, o.pruneIntervalMs)
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
