// The local side of the agent: the shared App Service listener, per-run IMDS and Arc listeners,
// and the control socket, over any source of tokens (the cache in production, fakes in tests).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeSecretFile } from '../common/files.js'
import type { Clock } from '../domain/clock.js'
import { Conflict } from '../domain/errors.js'
import { ARC_TOKENS_DIR, createArcChallenges, type ArcChallenges } from './arc-challenges.js'
import { arcProve } from './arc-endpoint.js'
import { createAppServiceHandler } from './appservice-endpoint.js'
import { claimControlSocket, startControlServer, type ControlServer } from './control.js'
import { faultRoutes } from './control-faults.js'
import { createFaults } from './faults.js'
import { listenLocal, listenUnix, type LocalListener } from './http-listener.js'
import { IMDS_ADDRESS, IMDS_PORT, startNetnsRelay } from './netns.js'
import { PROTOCOLS } from './identity-request.js'
import { createIdentityHeaders } from './identity-headers.js'
import { createPeerLookup, type PeerLookup } from './peer-process.js'
import { createProcessFacts } from './process-facts.js'
import { createRateLimiter, DEFAULT_RATE_LIMITS, type RateLimits } from './rate-limiter.js'
import type { Logger } from './respond.js'
import { createRuns, type RunListener, type Runs } from './runs.js'
import { loadEndpointCertificate, type EndpointCertificate } from './servicefabric-certificate.js'
import { serviceFabricAuthenticate } from './servicefabric-endpoint.js'
import {
  APPSERVICE_TOKEN_PATH,
  createTokenHandler,
  IMDS_TOKEN_PATH,
  type TokenEndpointDeps,
} from './token-endpoint.js'

export interface ServeOptions {
  stateDir: string
  clock: Clock
  tokens: TokenEndpointDeps['tokens']
  isRevoked: () => boolean
  log: Logger
  /** Address of every identity listener (default 127.0.0.1; loopback or link-local only). */
  listenHost?: string
  /** Port of the shared App Service listener; 0 (default) reuses the previous one if free. */
  appServicePort?: number
  rateLimits?: Partial<RateLimits>
  /** Default /var/opt/azcmagent/tokens, the only directory Arc clients accept on Linux. */
  arcTokensDir?: string
  arcGroupId?: number
  /** Extra fields of the control API's /status. */
  status?: () => Record<string, unknown>
  /** The control API's /metrics (Prometheus text). */
  metrics?: () => Promise<string>
  /** Where the kernel's process tables are (default /proc). */
  procRoot?: string
  /** Outstanding Arc keys per caller uid (default 16). */
  arcChallengesPerCaller?: number
  /** The host's own machine resource, served over Arc to every local process that can read
   * the key files, as azcmagent's himds does; `port` default MACHINE_PORT. */
  machine?: { resourceId: string; port?: number }
  /** Given the peer lookup, the hook told of every answered token request (sign-in records). */
  recordSignIns?: (peers: PeerLookup) => TokenEndpointDeps['record']
}

/** The port of azcmagent's himds, where Arc clients look without IDENTITY_ENDPOINT. */
export const MACHINE_PORT = 40342

export interface Serving {
  appService: LocalListener
  /** The machine's Arc listener (IMDS_ENDPOINT), when the host has a machine resource. */
  machine?: LocalListener
  /** IDENTITY_ENDPOINT of the App Service protocol. */
  identityEndpoint: string
  runs: Runs
  control: ControlServer
  close(): Promise<void>
}

/** A run's IMDS in its network namespace: the handler on a Unix socket, the relay in front. */
async function openNamespaceListener(
  handler: Parameters<typeof listenUnix>[0],
  netns: string,
  socketPath: string,
  log: Logger,
): Promise<LocalListener> {
  const listener = await listenUnix(handler, socketPath, { host: IMDS_ADDRESS, port: IMDS_PORT })
  let relay
  try {
    relay = await startNetnsRelay(netns, socketPath, log)
  } catch (err) {
    await listener.close()
    throw err
  }
  log.info({ netns, address: `${IMDS_ADDRESS}:${IMDS_PORT}` }, 'IMDS listening in namespace')
  return {
    ...listener,
    async close() {
      await relay.close()
      await listener.close()
    },
  }
}

/** The previous App Service port, so restored runs' IDENTITY_ENDPOINT stays valid. */
function previousPort(stateDir: string): number | undefined {
  const file = join(stateDir, 'listeners.json')
  if (!existsSync(file)) return undefined
  const port = (JSON.parse(readFileSync(file, 'utf8')) as { appServicePort?: unknown })
    .appServicePort
  return typeof port === 'number' ? port : undefined
}

export async function startServing(o: ServeOptions): Promise<Serving> {
  const host = o.listenHost ?? '127.0.0.1'
  const socketPath = join(o.stateDir, 'control.sock')
  await claimControlSocket(socketPath)
  const limiter = createRateLimiter(o.clock, { ...DEFAULT_RATE_LIMITS, ...o.rateLimits })
  const peers = createPeerLookup({ procRoot: o.procRoot })
  if (!peers.isSupported) {
    o.log.warn({}, 'no /proc/net/tcp: runs cannot be bound to their callers on this system')
  }
  const deps: TokenEndpointDeps = {
    tokens: o.tokens,
    limiter,
    clock: o.clock,
    isRevoked: o.isRevoked,
    log: o.log,
    peers,
    processFacts: createProcessFacts({ procRoot: o.procRoot }),
    record: o.recordSignIns?.(peers),
  }
  const headers = createIdentityHeaders()
  // `runs` is created below; a plan for a run is checked against it only when set.
  const faults = createFaults({ hasRun: (id) => runs.list().some((r) => r.id === id) })
  deps.faults = faults

  let appService: LocalListener
  const appHandler = createAppServiceHandler(deps, headers)
  const wanted = o.appServicePort ?? 0
  const reuse = wanted === 0 ? previousPort(o.stateDir) : undefined
  try {
    appService = await listenLocal(appHandler, host, reuse ?? wanted)
  } catch (err) {
    if (reuse === undefined) throw err
    appService = await listenLocal(appHandler, host, 0)
  }
  writeSecretFile(
    join(o.stateDir, 'listeners.json'),
    JSON.stringify({ appServicePort: appService.port }) + '\n',
  )

  // Created on the first Arc run: the default directory needs root, other protocols do not.
  let challenges: ArcChallenges | undefined
  let sweeper: NodeJS.Timeout | undefined
  const arc = () => {
    if (!challenges) {
      const dir = o.arcTokensDir ?? ARC_TOKENS_DIR
      try {
        challenges = createArcChallenges({
          clock: o.clock,
          dir,
          groupId: o.arcGroupId,
          maxPerCaller: o.arcChallengesPerCaller,
        })
      } catch (e) {
        throw new Conflict(
          'ArcUnavailable',
          `the Arc protocol needs ${dir}: ${(e as Error).message}`,
        )
      }
      sweeper = setInterval(() => challenges?.sweep(), 10_000).unref()
    }
    return challenges
  }

  // One certificate for every Service Fabric run, loaded (or made) on the first.
  let endpointCert: Promise<EndpointCertificate> | undefined
  async function openServiceFabric(runId: string, port: number): Promise<RunListener> {
    endpointCert ??= loadEndpointCertificate(o.stateDir, host, o.clock.now())
    const cert = await endpointCert
    const handler = createTokenHandler(
      deps,
      PROTOCOLS.servicefabric,
      IMDS_TOKEN_PATH,
      serviceFabricAuthenticate(headers, runId),
    )
    const listener = await listenLocal(handler, host, port, {
      cert: cert.certPem,
      key: cert.keyPem,
    })
    return { ...listener, tls: { thumbprint: cert.thumbprint, trustFile: cert.trustFile } }
  }

  const runs = createRuns({
    stateDir: o.stateDir,
    clock: o.clock,
    headers,
    appServiceUrl: appService.url,
    log: o.log,
    defaultUid: process.getuid?.() ?? 0,
    processStart: (pid) => peers.processStart(pid),
    onDelete: (runId) => faults.dropRun(runId),
    openListener: async (protocol, runId, caller, port, netns) => {
      if (protocol === 'servicefabric') return openServiceFabric(runId, port)
      const prove = protocol === 'arc' ? arcProve(arc(), runId) : undefined
      const stands = netns === undefined ? undefined : { host: IMDS_ADDRESS, port: IMDS_PORT }
      const handler = createTokenHandler(
        deps,
        PROTOCOLS[protocol],
        IMDS_TOKEN_PATH,
        () => caller,
        prove,
        stands,
      )
      if (netns === undefined || stands === undefined) return listenLocal(handler, host, port)
      return openNamespaceListener(handler, netns, join(o.stateDir, `imds-${runId}.sock`), o.log)
    },
  })
  let machine: LocalListener | undefined
  if (o.machine) {
    try {
      const caller = { resourceId: o.machine.resourceId, key: o.machine.resourceId.toLowerCase() }
      const handler = createTokenHandler(
        deps,
        PROTOCOLS.arc,
        IMDS_TOKEN_PATH,
        () => caller,
        arcProve(arc(), 'machine'),
      )
      machine = await listenLocal(handler, host, o.machine.port ?? MACHINE_PORT)
    } catch (err) {
      // The workloads' runs do not depend on it: say what is missing and serve them.
      o.log.warn(
        { err: (err as Error).message, resourceId: o.machine.resourceId },
        'the machine identity is not served',
      )
    }
  }
  const pruner = setInterval(() => {
    runs.prune().catch((err: unknown) => o.log.warn({ err }, 'expired runs not removed'))
  }, 60_000).unref()
  const identityEndpoint = `${appService.url}${APPSERVICE_TOKEN_PATH}`
  let control: ControlServer
  try {
    await runs.restore()
    control = await startControlServer({
      socketPath,
      runs,
      log: o.log,
      status: () => ({
        identityEndpoint,
        runs: runs.list().length,
        faults: faults.list(),
        ...o.status?.(),
      }),
      metrics: o.metrics,
      routes: faultRoutes(faults),
    })
  } catch (err) {
    await runs.close()
    await machine?.close()
    await appService.close()
    throw err
  }

  return {
    appService,
    machine,
    identityEndpoint,
    runs,
    control,
    async close() {
      clearInterval(pruner)
      if (sweeper) clearInterval(sweeper)
      await control.close()
      await runs.close()
      await machine?.close()
      await appService.close()
      challenges?.close()
    },
  }
}
