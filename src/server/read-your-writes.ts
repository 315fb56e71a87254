// Read-your-writes for this process: a write's response waits until the change feed has
// delivered what it committed, so the RBAC index, the principal-presence cache and the
// revocations that decide the caller's next request already reflect it. Without this, a
// resource group deleted over ARM kept its role assignments in force until the next poll.
import type { FastifyInstance } from 'fastify'

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A POST that writes nothing the change feed carries (the token endpoint, checkAccess):
     * its response does not wait for the feed. */
    commitsNoChanges?: boolean
  }
}

export function awaitChangesAfterWrites(
  app: FastifyInstance,
  feed: { poke(): Promise<void> },
): void {
  app.addHook('onSend', async (req, reply, payload) => {
    // A refused write committed nothing; a poll that fails is logged by the feed and the
    // periodic poll delivers the change instead.
    const writes = !READS.has(req.method) && !req.routeOptions.config?.commitsNoChanges
    if (writes && reply.statusCode < 400) await feed.poke()
    return payload
  })
}
