// What the Queue service takes beyond the data-plane seam, its defaults, and the startup checks
// (a misuse is a TypeError at startup, STYLE §4).
import type { FastifyBaseLogger } from 'fastify'
import type { AuthorizeDataAction, DataPlaneOptions } from '../options.js'

export interface QueueOptions {
  /** The endpoint's TLS certificate and key (PEM). */
  tls: { certPem: string; keyPem: string }
  /** Listen address; default 127.0.0.1. */
  host?: string
  /** Listen port; 0 (the default) picks a free one. */
  port?: number
  /** The URL clients use when it is not `https://<host>:<port>` (a proxy, a host name). */
  publicUrl?: string
  /**
   * Decides a control-plane action at a scope: the queue operations
   * (`.../queueServices/queues/read|write|delete`), which Azure checks against the roles'
   * `actions`, not their `dataActions`.
   */
  authorizeAction: AuthorizeDataAction
  /** Extra token audiences to accept besides https://storage.azure.com and the account URL. */
  extraAudiences?: readonly string[]
  /** How often expired messages are deleted; default every minute, 0 = never (they are
   * invisible to every operation once expired either way). */
  pruneIntervalMs?: number
  logger?: FastifyBaseLogger
  /** Used when no logger is given; default `warn`. */
  logLevel?: string
}

export type QueueServiceOptions = Pick<
  DataPlaneOptions,
  'verifyToken' | 'authorize' | 'revocationOf' | 'store' | 'clock' | 'tenantId' | 'authority'
> &
  QueueOptions

export const QUEUE_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  pruneIntervalMs: 60_000,
  logLevel: 'warn',
} as const

export type ResolvedQueueOptions = QueueServiceOptions & {
  host: string
  port: number
  pruneIntervalMs: number
}

export function resolveQueueOptions(o: QueueServiceOptions): ResolvedQueueOptions {
  if (typeof o.authorizeAction !== 'function' || typeof o.authorize !== 'function') {
    throw new TypeError('the queue service needs authorize and authorizeAction')
  }
  if (typeof o.verifyToken !== 'function')
    throw new TypeError('the queue service needs verifyToken')
  if (!o.tls?.certPem || !o.tls?.keyPem) throw new TypeError('the queue service needs tls')
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
  const r = { ...QUEUE_DEFAULTS, ...defined } as ResolvedQueueOptions
  for (const [name, value] of [
    ['port', r.port],
    ['pruneIntervalMs', r.pruneIntervalMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`${name} must be an integer of at least 0`)
    }
  }
  if (r.publicUrl !== undefined && !/^https:\/\/[^/]+$/.test(r.publicUrl)) {
    throw new TypeError('publicUrl must be https://host[:port] with no path')
  }
  return r
}
