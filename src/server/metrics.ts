// Where the server's metrics are counted (their names are in common/metrics.ts). Each is counted
// at a seam the composition root already holds, so that no protocol plugin knows about metrics:
// Fastify hooks see every token request and ARM answer as its client saw it, the RBAC engine
// and the store are wrapped where build.ts creates them, and the change feed has a subscriber.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { tokenEndpointPath } from '../common/agent-protocol.js'
import { METRICS_CONTENT_TYPE, READ_METRICS_ACTION, type ServerMetrics } from '../common/metrics.js'
import type { ChangeFeed } from '../directory/change-feed.js'
import type { Authz } from '../authz/index.js'
import { renderArmError } from '../arm/envelope.js'
import type { Clock } from '../domain/clock.js'
import { KeylessError, ServiceUnavailable } from '../domain/errors.js'
import type { Store } from '../store/store.js'

const TOKEN_ROUTES = new Map([
  [tokenEndpointPath(':tenant', 'v1'), 'v1'],
  [tokenEndpointPath(':tenant', 'v2'), 'v2'],
])

/** Token requests: issued or refused (by the OAuth error and AADSTS code the client got), and
 * how long each took. On the root instance before the plugins register, so it sees their routes. */
export function countTokenRequests(app: FastifyInstance, m: ServerMetrics): void {
  const refusals = new WeakMap<FastifyRequest, { reason: string; aadsts: string }>()
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && TOKEN_ROUTES.has(req.routeOptions.url ?? '')) {
      refusals.set(req, refusalOf(payload))
    }
    return payload
  })
  app.addHook('onResponse', (req, reply, done) => {
    const version = TOKEN_ROUTES.get(req.routeOptions.url ?? '')
    if (version) {
      const issued = reply.statusCode === 200
      if (issued) m.tokensIssued.inc({ version })
      else m.tokensRefused.inc(refusals.get(req) ?? { reason: 'unknown', aadsts: '' })
      m.tokenDuration.observe({ outcome: issued ? 'issued' : 'refused' }, reply.elapsedTime / 1000)
    }
    done()
  })
}

/** The OAuth error body the token endpoint rendered (common/oauth-error.ts), read back. */
function refusalOf(payload: unknown): { reason: string; aadsts: string } {
  try {
    const body = JSON.parse(String(payload)) as { error?: unknown; error_codes?: unknown }
    const code = Array.isArray(body.error_codes) ? body.error_codes[0] : undefined
    return {
      reason: typeof body.error === 'string' ? body.error : 'unknown',
      aadsts: typeof code === 'number' ? String(code) : '',
    }
  } catch {
    return { reason: 'unknown', aadsts: '' }
  }
}

/** Every answer of the scope's routes (the ARM plugin's), by method and status code. */
export function countArmRequests(scope: FastifyInstance, m: ServerMetrics): void {
  scope.addHook('onResponse', (req, reply, done) => {
    m.armRequests.inc({ method: req.method, status: String(reply.statusCode) })
    done()
  })
}

/**
 * Counts every decision of the RBAC engine, control plane and data planes alike. The method is
 * replaced on the engine itself (not a copy) because its getters read live state.
 */
export function countRbacDecisions(authz: Authz, m: ServerMetrics): void {
  const check = authz.checkAccess
  // Bound once: a decision costs one increment on a child counter, no label lookup.
  const counters = {
    control: {
      allowed: m.rbacDecisions.labels('allowed', 'control'),
      denied: m.rbacDecisions.labels('denied', 'control'),
    },
    data: {
      allowed: m.rbacDecisions.labels('allowed', 'data'),
      denied: m.rbacDecisions.labels('denied', 'data'),
    },
  }
  authz.checkAccess = (principalId, action, scope, options) => {
    const allowed = check(principalId, action, scope, options)
    counters[options?.dataAction ? 'data' : 'control'][allowed ? 'allowed' : 'denied'].inc()
    return allowed
  }
}

/** How long each change took from its commit (on any replica) to delivery here. Another
 * replica's clock may be behind this one: a negative lag counts as none. */
export function followChangeFeedLag(feed: ChangeFeed, clock: Clock, m: ServerMetrics): void {
  feed.subscribe((e) => {
    m.changeFeedLag.observe(Math.max(0, clock.now() - e.at) / 1000)
    m.changeFeedPosition.set(e.seq)
  })
}

/**
 * The same store, counting the calls that fail for the database's sake: unreachable (the store
 * translated it to ServiceUnavailable) or any other driver error. Domain outcomes (Conflict,
 * NotFound) are answers, not errors. A transaction counts once, however deep its failure.
 */
export function countStoreErrors(store: Store, m: ServerMetrics): Store {
  const unavailable = m.storeErrors.labels('unavailable')
  const failed = m.storeErrors.labels('failed')
  const note = (error: unknown) => {
    if (error instanceof ServiceUnavailable) unavailable.inc()
    else if (!(error instanceof KeylessError)) failed.inc()
    throw error
  }
  const observe = (fn: (...args: unknown[]) => unknown, self: object) =>
    function (...args: unknown[]) {
      const result = fn.apply(self, args)
      return result instanceof Promise ? result.catch(note) : result
    }
  const wrap = (target: object) =>
    Object.fromEntries(
      Object.entries(target).map(([k, v]) => [
        k,
        typeof v === 'function' ? observe(v as (...args: unknown[]) => unknown, target) : v,
      ]),
    )
  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(store)) {
    if (name === 'capabilities' || name === 'close') wrapped[name] = value
    else if (typeof value === 'function') wrapped[name] = observe(value, store)
    else if (value && typeof value === 'object') wrapped[name] = wrap(value as object)
    else wrapped[name] = value
  }
  return wrapped as unknown as Store
}

/** GET /metrics, in Prometheus's text format, for callers allowed `Keyless/metrics/read`; a
 * refusal in ARM's envelope, as the management API's own. */
export async function metricsRoute(
  app: FastifyInstance,
  o: {
    metrics: ServerMetrics
    authorize: (req: FastifyRequest, action: string) => Promise<void>
  },
): Promise<void> {
  app.setErrorHandler(renderArmError)
  app.get('/metrics', async (req, reply) => {
    await o.authorize(req, READ_METRICS_ACTION)
    return reply
      .header('content-type', METRICS_CONTENT_TYPE)
      .header('cache-control', 'no-store')
      .send(await o.metrics.registry.metrics())
  })
}
