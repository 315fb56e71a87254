// Build and start one server: the part `keyless up` (start.ts) and a replica of `keyless server`
// (start-replica.ts) share. Background work starts before any listener, so that the first
// request finds the signing keys loaded and the change feed following the log.
import type { FastifyInstance } from 'fastify'
import { build, type BuildOptions, type Built } from './build.js'

export interface LaunchOptions extends BuildOptions {
  /** Makes the control-plane app listen (and, for `keyless up`, learns its public URL). */
  listen(app: FastifyInstance): Promise<void>
  /** Makes the blob service listen (`start` listens on the configured port). */
  listenBlob(start: () => Promise<unknown>): Promise<void>
  /** Makes the queue service listen, like `listenBlob`. */
  listenQueue(start: () => Promise<unknown>): Promise<void>
}

export async function launch(o: LaunchOptions): Promise<Built> {
  const built = await build(o)
  const { app, keyRing, feed, revocations, vault, blob, queue } = built
  try {
    await keyRing.start()
    await feed.start()
    // Revocations committed before this start still hold (tokens outlive a restart).
    await revocations.load(feed.position())
    await o.listen(app)
    await vault.start()
    await o.listenBlob(() => blob.start())
    await o.listenQueue(() => queue.start())
  } catch (e) {
    await app.close().catch(() => undefined)
    throw e
  }
  return built
}
