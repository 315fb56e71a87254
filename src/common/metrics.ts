// Every Prometheus metric Keyless exposes, named in this one module (SPIRE's `telemetry`
// package): the server's and the agent's, each on a registry of its own, never prom-client's
// global default, so that several servers and agents in one process (tests, `keyless up`) keep
// their counts apart. docs/deploy.md lists them with their labels.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** The text exposition format, version 0.0.4, as every Prometheus scraper accepts it. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

/** The RBAC action that lets a caller read a server's /metrics (Reader's and Monitoring
 * Reader's `*\/read` cover it; the operator is Owner). */
export const READ_METRICS_ACTION = 'Keyless/metrics/read'

// Token requests take a millisecond when warm and up to a few seconds when the database
// stalls; the top buckets show the stall, the bottom ones a regression.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
// The change feed polls every 100 ms; propagation beyond a second is what operators page on.
const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createServerMetrics() {
  const registry = new Registry()
  const registers = [registry]
  return {
    registry,
    tokensIssued: new Counter({
      name: 'keyless_tokens_issued_total',
      help: 'Access tokens issued by the token endpoint',
      labelNames: ['version'] as const,
      registers,
    }),
    tokensRefused: new Counter({
      name: 'keyless_tokens_refused_total',
      help: 'Token requests refused, by OAuth error and AADSTS code',
      labelNames: ['reason', 'aadsts'] as const,
      registers,
    }),
    tokenDuration: new Histogram({
      name: 'keyless_token_request_duration_seconds',
      help: 'Time the token endpoint took to answer, issued or refused',
      labelNames: ['outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    armRequests: new Counter({
      name: 'keyless_arm_requests_total',
      help: 'Control plane (ARM) requests answered, by method and status code',
      labelNames: ['method', 'status'] as const,
      registers,
    }),
    rbacDecisions: new Counter({
      name: 'keyless_rbac_decisions_total',
      help: 'RBAC access checks, by decision and plane (control: actions, data: data actions)',
      labelNames: ['decision', 'plane'] as const,
      registers,
    }),
    changeFeedLag: new Histogram({
      name: 'keyless_change_feed_lag_seconds',
      help: 'Time from a change committing (any replica) to its delivery on this replica',
      buckets: LAG_BUCKETS,
      registers,
    }),
    changeFeedPosition: new Gauge({
      name: 'keyless_change_feed_position',
      help: 'Sequence number of the last change delivered on this replica',
      registers,
    }),
    storeErrors: new Counter({
      name: 'keyless_store_errors_total',
      help: 'Database calls that failed: unavailable (unreachable, timed out) or failed (any other driver error)',
      labelNames: ['kind'] as const,
      registers,
    }),
  }
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>

/** What the agent counts anyway (token-cache.ts `stats`); read only when scraped. */
export interface AgentMetricSources {
  cache: () => {
    hits: number
    misses: number
    refreshes: number
    refreshFailures: number
    forcedRefreshes: number
  }
  cacheEntries: () => number
  eventsConnected: () => boolean
  /** The sign-in recorder's counts (agent/sign-in-recorder.ts), when recording is on. */
  signIns?: () => { recorded: number; sent: number; dropped: number } | undefined
}

export function createAgentMetrics(sources: AgentMetricSources): Registry {
  const registry = new Registry()
  const registers = [registry]
  // The cache keeps plain counts on its hot path; a scrape copies them into counters, so that
  // serving a cached token costs one integer increment, metrics or not.
  const cacheCounter = (name: string, help: string, key: keyof ReturnType<typeof sources.cache>) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(sources.cache()[key])
      },
    })
  cacheCounter(
    'keyless_agent_token_cache_hits_total',
    'Token requests answered from the cache',
    'hits',
  )
  cacheCounter(
    'keyless_agent_token_cache_misses_total',
    'Token requests the cache could not answer (asked of the server)',
    'misses',
  )
  cacheCounter(
    'keyless_agent_token_cache_refreshes_total',
    'Background refreshes ahead of expiry started',
    'refreshes',
  )
  cacheCounter(
    'keyless_agent_token_cache_refresh_failures_total',
    'Background refreshes that failed (retried with backoff)',
    'refreshFailures',
  )
  cacheCounter(
    'keyless_agent_token_cache_forced_refreshes_total',
    'Refreshes forced by clients (bypass_cache, token_sha256_to_refresh)',
    'forcedRefreshes',
  )
  new Gauge({
    name: 'keyless_agent_token_cache_entries',
    help: 'Tokens in the cache',
    registers,
    collect() {
      this.set(sources.cacheEntries())
    },
  })
  new Gauge({
    name: 'keyless_agent_events_connected',
    help: '1 while the change stream from the server is connected',
    registers,
    collect() {
      this.set(sources.eventsConnected() ? 1 : 0)
    },
  })
  const signInCounter = (name: string, help: string, key: 'recorded' | 'sent' | 'dropped') =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(sources.signIns?.()?.[key] ?? 0)
      },
    })
  signInCounter('keyless_agent_signins_recorded_total', 'Sign-in records made', 'recorded')
  signInCounter('keyless_agent_signins_sent_total', 'Sign-in records the server took', 'sent')
  signInCounter(
    'keyless_agent_signins_dropped_total',
    'Sign-in records dropped: the queue overflowed while the server was unreachable, or it refused them',
    'dropped',
  )
  return registry
}
