// Starting one replica of `keyless server`: stateless, on a PostgreSQL database shared with any
// number of others, without a data directory's lock, files or built-in agent. What `keyless up`
// keeps in its data directory comes from the database (cluster-state.ts); the issuer and every
// URL are the configured public URL (the load balancer's), the same on every replica.
import { installationUrls, type InstallationUrls } from './installation-urls.js'
import pino from 'pino'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Clock } from '../domain/clock.js'
import { systemClock } from '../common/clock.js'
import { deriveKeyHierarchy } from '../common/key-hierarchy.js'
import type { PemPair } from '../common/pki.js'
import { latePublicUrl } from '../common/public-url.js'
import { openPostgresStore } from '../store/postgres.js'
import type { Store } from '../store/store.js'
import type { Config } from './config.js'
import { openClusterState, type OperatorCredential } from './cluster-state.js'
import { launch } from './launch.js'
import { caBundle } from './ca-set.js'
import { tlsNames, type TlsNames } from './tls-material.js'

export interface ReplicaOptions {
  /** `databaseUrl` is required; `host` and `port` are where this replica listens. */
  config: Config
  masterKey: Uint8Array
  /** What clients reach every replica by (the load balancer), e.g. `https://lb.example:8443`. */
  publicUrl: string
  /** Schema of every table (default: the connection's search path). */
  databaseSchema?: string
  /** This replica's own TLS material instead of the cluster's. */
  tls?: PemPair
  clock?: Clock
}

export interface ReplicaEndpoints extends InstallationUrls {
  /** Where this replica itself listens (the load balancer's backend address). */
  listening: string
  vaultEndpoint: string
  blobEndpoint: string
  queueEndpoint: string
  pid: number
}

export interface RunningReplica {
  endpoints: ReplicaEndpoints
  app: FastifyInstance
  store: Store
  /** The cluster's CA bundle (active CA first), for clients and agents. */
  caCertPem: string
  operator: OperatorCredential
  /** Whether this start initialised an empty database. */
  initialised: boolean
  close(): Promise<void>
}

/** The public host and loopback: what clients see through the load balancer, and health checks. */
export function replicaTlsNames(publicUrl: string, vaultHostSuffix?: string): TlsNames {
  const names = tlsNames('127.0.0.1', vaultHostSuffix?.toLowerCase())
  const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const list = /^[\d.:]+$/.test(host) ? names.ipAddresses : names.dnsNames
  if (!list.includes(host)) list.push(host)
  return names
}

export function checkPublicUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`the public URL ${value} is not a URL`)
  }
  if (url.protocol !== 'https:' || url.pathname !== '/' || url.search || url.hash) {
    throw new TypeError(`the public URL must be https://host[:port] without a path, not ${value}`)
  }
  return url.origin
}

export async function startReplica(o: ReplicaOptions): Promise<RunningReplica> {
  const { config } = o
  const clock = o.clock ?? systemClock
  if (config.databaseUrl === undefined) throw new TypeError('keyless server needs --database-url')
  const base = checkPublicUrl(o.publicUrl)
  const keys = deriveKeyHierarchy(o.masterKey)
  const store = await openPostgresStore(config.databaseUrl, {
    ...(o.databaseSchema !== undefined && { schema: o.databaseSchema }),
  })
  try {
    const state = await openClusterState(store, keys, {
      now: clock.now(),
      names: replicaTlsNames(base, config.vaultHostSuffix),
    })
    const publicUrl = latePublicUrl()
    publicUrl.set(base)
    const logDestination =
      config.logFile === undefined || config.logFile === '-'
        ? undefined
        : pino.destination({ dest: config.logFile, sync: false, mkdir: true })
    logDestination?.on('error', () => undefined)
    const { app, vault, blob, queue } = await launch({
      config,
      store,
      clock,
      tls: o.tls ?? state.tls,
      ca: state.ca,
      keys,
      installation: state.installation,
      publicUrl,
      logDestination,
      listen: async (app) => {
        await app.listen({ host: config.host, port: config.port })
      },
      listenBlob: async (start) => {
        await start()
      },
      listenQueue: async (start) => {
        await start()
      },
    })
    const { address, port } = app.server.address() as AddressInfo
    return {
      endpoints: {
        ...installationUrls(base, state.installation),
        listening: `https://${address.includes(':') ? `[${address}]` : address}:${port}`,
        vaultEndpoint: vault.baseEndpoint,
        blobEndpoint: blob.endpoint,
        queueEndpoint: queue.endpoint,
        pid: process.pid,
      },
      app,
      store,
      caCertPem: caBundle(state.ca),
      operator: state.operator,
      initialised: state.initialised,
      async close() {
        try {
          await app.close()
          await store.close()
        } finally {
          logDestination?.flushSync()
        }
      },
    }
  } catch (e) {
    await store.close()
    throw e
  }
}
