// The Blob service on its own HTTPS port: path-style URLs (`https://127.0.0.1:<port>/<account>/...`)
// need the whole path, which the main server's routes already use. start() collects content
// files that no row names (all of them at once on SQLite, where this process is the only writer;
// past the grace period on PostgreSQL, where replicas may share the data directory), then
// listens and collects periodically.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { urlHost } from '../../common/public-url.js'
import { createAuthorizer } from './authorize.js'
import type { Service } from './call.js'
import { ContentFiles } from './content-files.js'
import { collectGarbage } from './gc.js'
import { resolveBlobOptions, type BlobServiceOptions } from './options.js'
import { clientErrorResponder } from '../../common/framework-errors.js'
import { BlobErrors } from './errors.js'
import { createErrorRenderer, errorXml } from './render.js'
import { blobPlugin } from './plugin.js'

export interface BlobService {
  start(): Promise<void>
  stop(): Promise<void>
  /** `https://host:port`, once started. */
  readonly endpoint: string
  /** The URL clients give `BlobServiceClient`: `<endpoint>/<account>`. */
  accountUrl(accountName: string): string
  /** Runs the collector now (tests, operators); returns how many files it removed. */
  collectGarbage(graceMs?: number): Promise<number>
}

const REDACT = ['req.headers.authorization']

export function createBlobService(options: BlobServiceOptions): BlobService {
  const o = resolveBlobOptions(options)
  const files = new ContentFiles(join(o.dataDir, 'blobs'), o.keys.forPurpose('blob-content'))
  let endpoint: string | undefined
  let app: FastifyInstance | undefined
  let timer: NodeJS.Timeout | undefined

  const svc: Service = {
    o,
    files,
    authorizer: createAuthorizer(o),
    endpoint: () => {
      if (endpoint === undefined) throw new TypeError('the blob service is not started')
      return endpoint
    },
  }
  const collect = (graceMs: number) =>
    collectGarbage(files, o.store, {
      now: o.clock.now(),
      graceMs,
      stagedBlockLifetimeMs: o.stagedBlockLifetimeMs,
    })

  return {
    get endpoint() {
      return svc.endpoint()
    },
    accountUrl: (name) => `${svc.endpoint()}/${name}`,
    collectGarbage: (graceMs = o.gcGraceMs) => collect(graceMs),

    async start() {
      if (app !== undefined) throw new TypeError('the blob service is already started')
      await files.init()
      // Alone on its database no upload can be in flight at start; replicas may have some.
      await collect(o.store.capabilities.isSharedByReplicas ? o.gcGraceMs : 0)
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
      await app.register(blobPlugin, svc)
      await app.listen({ host: o.host, port: o.port })
      const { port } = app.server.address() as AddressInfo
      endpoint = o.publicUrl ?? `https://${urlHost(o.host)}:${port}`
      if (o.gcIntervalMs > 0) {
        const log = app.log
        timer = setInterval(() => {
          collect(o.gcGraceMs).catch((err) => log.error({ err }, 'blob garbage collection failed'))
        }, o.gcIntervalMs)
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
