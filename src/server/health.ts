// Liveness and readiness for supervisors and `keyless status` (the Kubernetes convention):
// `/healthz` answers while the process serves HTTP at all; `/readyz` only when the store
// answers, the signing keys are loaded and the local agent is enrolled. Neither needs a token
// and neither says more than which check failed.
import type { FastifyInstance } from 'fastify'

export interface ReadinessChecks {
  store: () => Promise<void>
  keysLoaded: () => boolean
  /** Set once the in-process agent has enrolled (`keyless up`); true when there is none. */
  agentReady: () => boolean
}

export async function healthRoutes(app: FastifyInstance, checks: ReadinessChecks): Promise<void> {
  app.get('/healthz', async (_req, reply) => reply.send({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const failed: string[] = []
    try {
      await checks.store()
    } catch {
      failed.push('store')
    }
    if (!checks.keysLoaded()) failed.push('signingKeys')
    if (!checks.agentReady()) failed.push('agent')
    if (failed.length === 0) return reply.send({ status: 'ready' })
    return reply.code(503).header('retry-after', '1').send({ status: 'not ready', failed })
  })
}
