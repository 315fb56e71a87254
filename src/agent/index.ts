// The agent's composition root: host credential → token client → cache → change stream →
// local endpoints. Used in-process by `keyless up` (enrolling over HTTPS with a join token the
// server created, like any other host) and by `keyless agent` on other hosts.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../domain/clock.js'
import { signAssertion } from './assertion.js'
import { openCredential, type CredentialManager } from './credential.js'
import { credentialPaths } from './credential-files.js'
import { createCaWatch } from './ca-watch.js'
import { createEventFollower, type AgentEvent, type EventFollower } from './events.js'
import { createHttpsClient } from './https-client.js'
import { createServerPool, type ServerPool } from './server-pool.js'
import type { RateLimits } from './rate-limiter.js'
import { silentLogger, type Logger } from './respond.js'
import type { Run, RunOwner, RunProtocol } from './runs.js'
import { startServing, type Serving } from './serve.js'
import { createStsClient, type HostAuthMethod } from './sts-client.js'
import { createTokenCache, type TokenCache, type TokenCacheOptions } from './token-cache.js'
import { isHostRevoked, type TokenSource } from './token-source.js'
import { createPlacementSync, type PlacementSyncOptions } from './placements.js'
import { systemClock } from '../common/clock.js'
import {
  AGENT_SIGNINS_PATH,
  PLACEMENTS_PATH,
  type AgentSignIn,
  type Placement,
} from '../common/agent-protocol.js'
import { createSignInRecorder, type SignInRecorder } from './sign-in-recorder.js'
import { createAgentMetrics } from '../common/metrics.js'
import type { Registry } from 'prom-client'
import { startMetricsListener, type MetricsListener } from './metrics-listener.js'

export interface AgentOptions {
  /** The Keyless server, e.g. https://keyless.example:8443 (enrollment and renewal). */
  serverUrl: string
  /** More servers (replicas) to fail over to when it does not answer (server-pool.ts). */
  serverUrls?: string[]
  /** PEM of the CA that signed the server's TLS certificate; default the one enrollment saved.
   * The agent trusts it alone (pinned) unless `trustSystemRoots`. */
  caCertPem?: string
  /** Trust the system roots besides the CA (a server behind a publicly trusted certificate). */
  trustSystemRoots?: boolean
  /** Where the credential, runs and control socket live (created 0700). */
  stateDir: string
  /** One-time join token: needed on first start only. */
  joinToken?: string
  hostName?: string
  clock?: Clock
  logger?: Logger
  /** Address of the identity listeners (default 127.0.0.1; loopback or link-local only). */
  listenHost?: string
  /** Port of the shared App Service listener (default 0: the previous one, else a free one). */
  appServicePort?: number
  /** Per-caller limits (default 20 requests/s, 5 concurrent). */
  rateLimits?: Partial<RateLimits>
  /** Default /var/opt/azcmagent/tokens. */
  arcTokensDir?: string
  /** A group that may read Arc key files (0640) instead of root only (0600). */
  arcGroupId?: number
  /** How token requests prove the host (default tls_client_auth; see sts-client.ts). */
  hostAuthMethod?: HostAuthMethod
  /** Timing of the placement sync (placements.ts); tests shorten it. */
  placements?: Pick<PlacementSyncOptions, 'debounceMs' | 'resyncMs'>
  /** Port of the machine's own Arc listener (default 40342, azcmagent's; 0: a free one). */
  machinePort?: number
  /** How often the credential's renewal time is checked (default 30 s). */
  renewCheckIntervalMs?: number
  /** How often the CA bundle is fetched to follow a CA rotation (default 1 h; ca-watch.ts). */
  caCheckIntervalMs?: number
  /** Serve /metrics on TCP at this address too (metrics-listener.ts); off by default. */
  metricsListen?: { host: string; port: number }
  /** Record every answered token request and ship it to the server (default on). */
  signIns?: false | { flushMs?: number; maxQueued?: number }
  cache?: Pick<
    TokenCacheOptions,
    'refreshRatio' | 'refreshMarginMs' | 'refreshRetryMs' | 'refreshRetryMaxMs' | 'maxEntries'
  >
}

export interface RunningAgent {
  hostId: string
  /** IDENTITY_ENDPOINT of the shared App Service listener. */
  identityEndpoint: string
  /** The host's machine resource and the IMDS_ENDPOINT of its Arc listener, if served. */
  machine?: { resourceId: string; endpoint: string }
  controlSocket: string
  /** The Keyless CA bundle, as last received (for NODE_EXTRA_CA_CERTS and friends). */
  caCertFile: string
  credential: CredentialManager
  cache: TokenCache
  servers: ServerPool
  events: EventFollower
  /** The sign-in records on their way to the server (absent when recording is off). */
  signIns?: SignInRecorder
  /** This agent's metrics (a registry of its own), on the control socket's /metrics. */
  metrics: Registry
  /** `http://host:port/metrics` when `metricsListen` was given. */
  metricsUrl?: string
  createRun(resourceId: string, protocol?: RunProtocol, owner?: RunOwner): Promise<Run>
  deleteRun(id: string): Promise<void>
  close(): Promise<void>
}

export { systemClock } from '../common/clock.js'

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const clock = o.clock ?? systemClock
  const log = o.logger ?? silentLogger
  const caPem = o.caCertPem ?? savedCa(o.stateDir)
  const http = createServerPool(
    createHttpsClient({ caPem, trustSystemRoots: o.trustSystemRoots }),
    [o.serverUrl, ...(o.serverUrls ?? [])],
  )
  const credential = await openCredential({
    stateDir: o.stateDir,
    serverUrl: o.serverUrl,
    http,
    clock,
    log,
    joinToken: o.joinToken,
    hostName: o.hostName,
    checkIntervalMs: o.renewCheckIntervalMs,
  })
  const hostId = credential.current().hostId
  const machineResourceId = credential.current().machineResourceId
  const sts = createStsClient({
    credential: credential.current,
    authMethod: o.hostAuthMethod,
    http,
    clock,
  })
  // The server's word that this host is revoked counts like the host.revoked event, which may
  // still be on its way.
  const source: TokenSource = {
    requestToken: (request) =>
      sts.requestToken(request).catch((err: unknown) => {
        if (isHostRevoked(err)) revoke()
        throw err
      }),
  }
  const cache = createTokenCache({
    ...o.cache,
    source,
    clock,
    onRefreshError: (err) => log.debug({ err: (err as Error).message }, 'token refresh failed'),
  })

  function revoke(): void {
    if (credential.revoked) return
    cache.clear()
    credential.markRevoked()
    void events.stop()
    void placements?.stop()
  }

  // Addressed, like the events URL, to the server's own authority.
  async function fetchPlacements(): Promise<Placement[]> {
    const c = credential.current()
    const url = `${new URL(c.eventsUrl).origin}${PLACEMENTS_PATH}`
    const res = await http.send(url, {
      headers: {
        authorization: `Bearer ${await signAssertion(c, url, clock)}`,
        accept: 'application/json',
      },
    })
    if (res.status !== 200) throw new Error(`placements answered ${res.status}`)
    const value = (JSON.parse(res.text) as { value?: unknown }).value
    return Array.isArray(value) ? (value as Placement[]) : []
  }
  async function sendSignIns(records: AgentSignIn[]): Promise<void> {
    const c = credential.current()
    const url = `${new URL(c.eventsUrl).origin}${AGENT_SIGNINS_PATH}`
    const res = await http.send(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await signAssertion(c, url, clock)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ value: records }),
    })
    if (res.status !== 204) {
      throw Object.assign(new Error(`sign-ins answered ${res.status}: ${res.text.slice(0, 200)}`), {
        status: res.status,
      })
    }
  }
  let signIns: SignInRecorder | undefined

  // Assigned once serving has started; events and revocation may run before that.
  let placements: ReturnType<typeof createPlacementSync> | undefined = undefined

  function onEvent(e: AgentEvent): void {
    switch (e.kind) {
      case 'identity.detached':
        cache.purgeCaller(e.subject)
        break
      case 'principal.deleted':
        cache.purgeIdentity(e.subject)
        break
      case 'resource.created':
        placements?.schedule()
        break
      case 'resource.deleted':
      case 'resource.updated':
        cache.purgeResource(e.subject)
        placements?.schedule()
        break
      case 'host.revoked':
        if (e.subject.toLowerCase() !== hostId.toLowerCase()) return
        revoke()
        break
      default:
        return
    }
    log.debug({ kind: e.kind, subject: e.subject, id: e.id }, 'change event applied')
  }

  const events = createEventFollower({
    url: () => credential.current().eventsUrl,
    http,
    assertion: (aud) => signAssertion(credential.current(), aud, clock),
    onEvent,
    // Without an id to resume from, changes made while disconnected are unknown: start afresh.
    onConnect: ({ resumed, first }) => {
      if (!resumed && !first) cache.clear()
      placements?.schedule()
      // A server that came back may have come back with a rotated CA.
      if (!first) void caWatch.check()
    },
    log,
  })

  const caWatch = createCaWatch({
    stateDir: o.stateDir,
    http,
    credential,
    clock,
    log,
    // What enrollment saved when no CA was given (the first start enrolls over the system roots).
    trusted: caPem ?? credential.current().caCertificatePem,
    intervalMs: o.caCheckIntervalMs,
  })

  const metrics = createAgentMetrics({
    cache: () => cache.stats,
    cacheEntries: () => cache.size,
    signIns: () => signIns?.stats,
    eventsConnected: () => events.connected,
  })
  let serving: Serving
  let metricsListener: MetricsListener | undefined
  try {
    serving = await startServing({
      stateDir: o.stateDir,
      clock,
      tokens: cache,
      isRevoked: () => credential.revoked,
      log,
      listenHost: o.listenHost,
      appServicePort: o.appServicePort,
      rateLimits: o.rateLimits,
      arcTokensDir: o.arcTokensDir,
      arcGroupId: o.arcGroupId,
      machine: machineResourceId
        ? { resourceId: machineResourceId, port: o.machinePort }
        : undefined,
      status: () => ({
        hostId,
        revoked: credential.revoked,
        credentialNotAfter: credential.current().notAfter,
        eventsConnected: events.connected,
        cachedTokens: cache.size,
        cache: cache.stats,
        servers: { preferred: http.preferred, ...http.stats },
        placementFailures: placements?.failures ?? {},
        caCertFile: credentialPaths(o.stateDir).ca,
        caBundleFile: credentialPaths(o.stateDir).caBundle,
      }),
      metrics: () => metrics.metrics(),
      ...(o.signIns !== false && {
        recordSignIns: (peers) => {
          signIns = createSignInRecorder({
            send: sendSignIns,
            peers,
            now: () => clock.now(),
            log,
            ...o.signIns,
          })
          return signIns.record
        },
      }),
    })
    if (o.metricsListen) {
      metricsListener = await startMetricsListener(metrics, o.metricsListen).catch(
        async (err: unknown) => {
          await serving.close()
          throw err
        },
      )
    }
  } catch (err) {
    http.close()
    throw err
  }
  placements = createPlacementSync({
    fetchPlacements,
    runs: serving.runs,
    log,
    ...o.placements,
  })
  credential.start()
  events.start()
  caWatch.start()
  const machine =
    machineResourceId && serving.machine
      ? { resourceId: machineResourceId, endpoint: serving.machine.url }
      : undefined
  log.info({ hostId, identityEndpoint: serving.identityEndpoint, machine }, 'agent started')

  return {
    hostId,
    identityEndpoint: serving.identityEndpoint,
    machine,
    controlSocket: serving.control.socketPath,
    caCertFile: credentialPaths(o.stateDir).ca,
    credential,
    cache,
    servers: http,
    events,
    metrics,
    metricsUrl: metricsListener?.url,
    signIns,
    createRun: (resourceId, protocol = 'appservice', owner) =>
      serving.runs.create(resourceId, protocol, owner),
    deleteRun: (id) => serving.runs.delete(id),
    async close() {
      caWatch.stop()
      credential.stop()
      await placements?.stop()
      await events.stop()
      await metricsListener?.close()
      await serving.close()
      await signIns?.close()
      http.close()
    },
  }
}

export { ARC_TOKENS_DIR } from './arc-challenges.js'
export { parseListenAddress } from './metrics-listener.js'
export { RUN_PROTOCOLS, type Run, type RunOwner, type RunProtocol } from './runs.js'
export { IMDS_ADDRESS, IMDS_PORT } from './netns.js'
export type { Logger } from './respond.js'
export type { FaultSetView } from './faults.js'
export const controlSocketPath = (stateDir: string): string => join(stateDir, 'control.sock')

/** The installation's CA as enrollment saved it, once the host is enrolled. */
function savedCa(stateDir: string): string | undefined {
  const file = credentialPaths(stateDir).ca
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined
}
