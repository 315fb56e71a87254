// Starting a server: prepare the data directory, open the store, bootstrap the installation,
// build, listen, and publish the real endpoints in endpoints.json (tests and tools read it).
import { installationUrls, type InstallationUrls } from './installation-urls.js'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Clock } from '../domain/clock.js'
import { writeSecretFile } from '../common/files.js'
import { deriveKeyHierarchy } from '../common/key-hierarchy.js'
import { latePublicUrl, urlHost } from '../common/public-url.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import { bootstrapInstallation } from '../directory/bootstrap.js'
import type { HostRegistry } from '../directory/hosts.js'
import { generateClientSecret, hashClientSecret } from '../sts/index.js'
import type { Config } from './config.js'
import { launch } from './launch.js'
import { tlsNames } from './tls-material.js'
import {
  dataPaths,
  ensureCertificateAuthority,
  ensureMasterKey,
  ensureTlsCertificate,
} from './data-dir.js'
import { lockDataDir, type DataDirLock } from './data-dir-lock.js'
import { createDataDir, restrictDataDir } from './data-dir-access.js'
import { choosePort, readPorts, rememberPorts } from './ports.js'
import { systemClock } from '../common/clock.js'

export { systemClock } from '../common/clock.js'

export interface Endpoints extends InstallationUrls {
  caCertFile: string
  adminCredentialFile: string
  /** Key Vault: `https://127.0.0.1:{port}/` (one listener per vault) or the host-name scheme. */
  vaultEndpoint: string
  /** With a vault host suffix: the hosts file `keyless run` mounts over its program's
   * /etc/hosts, so that every `<vault>.<suffix>` resolves to Keyless. */
  vaultHostsFile?: string
  /** Blob: `https://127.0.0.1:<port>`; an account's URL is `<blobEndpoint>/<account>`. */
  blobEndpoint: string
  /** Queue: `https://127.0.0.1:<port>`; an account's URL is `<queueEndpoint>/<account>`. */
  queueEndpoint: string
  /** The process that serves these endpoints; endpoints.json is removed when it stops cleanly. */
  pid: number
}

export interface RunningServer {
  endpoints: Endpoints
  app: FastifyInstance
  store: Store
  hosts: HostRegistry
  /** Adds keys to endpoints.json (e.g. the in-process agent's) and rewrites it. */
  publishEndpoints(extra: Record<string, string>): void
  /** Marks the in-process agent enrolled, for /readyz. */
  setAgentReady(): void
  /** Warnings about the data directory, for the operator's terminal. */
  warnings: string[]
  /** Where the request log goes (`-` for stdout). */
  logFile: string
  /** Closes every listener (in-flight requests finish), the store, and gives up the data dir. */
  close(): Promise<void>
  /** Removes endpoints.json and gives up the data directory at once (exit handlers). */
  releaseSync(): void
}

export interface StartOptions {
  /** `/readyz` waits for setAgentReady() (`keyless up` starts an agent in-process). */
  agentExpected?: boolean
  /** Write endpoints.json at once (default). `keyless up` waits until its agent has added its
   * keys, so that whoever sees the file finds everything in it ready. */
  publishNow?: boolean
}

export async function startServer(
  config: Config,
  clock: Clock = systemClock,
  options: StartOptions = {},
): Promise<RunningServer> {
  const paths = dataPaths(config.dataDir)
  createDataDir(paths.dataDir)
  // Nothing in the directory changes before the lock is held: a refused second start leaves
  // the running instance's files (endpoints.json, ports) as they are.
  const lock = lockDataDir(paths.dataDir)
  let store: Store | undefined
  try {
    const warnings = restrictDataDir(paths.dataDir)
    // Whoever held the lock before is gone: its endpoints.json names ports nobody serves.
    rmSync(paths.endpoints, { force: true })
    store = await openStore(
      config.databaseUrl ? { postgresUrl: config.databaseUrl } : { sqliteFile: paths.database },
    )
    return await startLocked(config, clock, options, { paths, lock, store, warnings })
  } catch (e) {
    await store?.close()
    lock.release()
    throw e
  }
}

interface Locked {
  paths: ReturnType<typeof dataPaths>
  lock: DataDirLock
  store: Store
  warnings: string[]
}

async function startLocked(
  configured: Config,
  clock: Clock,
  options: StartOptions,
  { paths, lock, store, warnings }: Locked,
): Promise<RunningServer> {
  const remembered = readPorts(paths.dataDir)
  const config: Config = Object.freeze({
    ...configured,
    port: choosePort(configured.port, remembered.port),
    blobPort: choosePort(configured.blobPort, remembered.blobPort),
    queuePort: choosePort(configured.queuePort, remembered.queuePort),
  })
  const now = clock.now()
  const keys = deriveKeyHierarchy(ensureMasterKey(paths))
  const names = tlsNames(config.host, config.vaultHostSuffix?.toLowerCase())
  const ca = await ensureCertificateAuthority(paths, now, names)
  const tls = await ensureTlsCertificate(paths, ca, names, now)
  {
    const installation = await bootstrapInstallation(store, {
      now,
      issueSecret: !existsSync(paths.admin),
      generateSecret: generateClientSecret,
      hashSecret: hashClientSecret,
    })
    if (installation.operatorSecret) {
      writeSecretFile(
        paths.admin,
        JSON.stringify(
          {
            tenantId: installation.tenantId,
            clientId: installation.operator.appId,
            clientSecret: installation.operatorSecret,
          },
          null,
          2,
        ) + '\n',
      )
    }
    const publicUrl = latePublicUrl()
    const logFile = config.logFile ?? join(paths.dataDir, 'keyless.log')
    // Asynchronous writes to a file: a full or closed terminal can never block a request or
    // the shutdown; pino flushes what is buffered when the app closes.
    const logDestination =
      logFile === '-' ? undefined : pino.destination({ dest: logFile, sync: false, mkdir: true })
    // A full disk fails the log's writes: the lines are dropped, the server goes on.
    logDestination?.on('error', () => undefined)
    let agentReady = options.agentExpected !== true
    const { app, hosts, vault, blob, queue } = await launch({
      config,
      store,
      clock,
      tls,
      ca,
      keys,
      installation,
      publicUrl,
      logDestination,
      readiness: { agentReady: () => agentReady },
      listen: async (app) => {
        await listenOn(config.port, remembered.port, 'port', () =>
          app.listen({ host: config.host, port: config.port }),
        )
        const { port } = app.server.address() as AddressInfo
        publicUrl.set(`https://${urlHost(config.host)}:${port}`)
      },
      listenBlob: (start) => listenOn(config.blobPort, remembered.blobPort, 'blobPort', start),
      listenQueue: (start) => listenOn(config.queuePort, remembered.queuePort, 'queuePort', start),
    })
    const { port } = app.server.address() as AddressInfo
    const base = publicUrl()
    rememberPorts(paths.dataDir, {
      port,
      blobPort: Number(new URL(blob.endpoint).port),
      queuePort: Number(new URL(queue.endpoint).port),
    })
    const endpoints: Endpoints = {
      ...installationUrls(base, installation),
      caCertFile: paths.caCert,
      adminCredentialFile: paths.admin,
      vaultEndpoint: vault.baseEndpoint,
      ...(vault.hostsFile === undefined ? {} : { vaultHostsFile: vault.hostsFile }),
      blobEndpoint: blob.endpoint,
      queueEndpoint: queue.endpoint,
      pid: process.pid,
    }
    let published: Record<string, string | number> = { ...endpoints }
    const publishEndpoints = (extra: Record<string, string>) => {
      published = { ...published, ...extra }
      writeSecretFile(paths.endpoints, JSON.stringify(published, null, 2) + '\n')
    }
    if (options.publishNow !== false) publishEndpoints({})
    lock.setUrl(base)
    let released = false
    const releaseSync = () => {
      if (released) return
      released = true
      rmSync(paths.endpoints, { force: true })
      lock.release()
    }
    return {
      endpoints,
      app,
      store,
      hosts,
      publishEndpoints,
      setAgentReady: () => void (agentReady = true),
      warnings,
      logFile,
      async close() {
        // Unpublished first: from here on nobody should find this instance.
        rmSync(paths.endpoints, { force: true })
        try {
          await app.close()
          await store.close()
        } finally {
          logDestination?.flushSync()
          releaseSync()
        }
      },
      releaseSync,
    }
  }
}

/** Listens, explaining the one failure an operator can fix: a remembered port now taken. */
async function listenOn(
  port: number,
  remembered: number | undefined,
  key: string,
  listen: () => Promise<unknown>,
): Promise<void> {
  try {
    await listen()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    const hint =
      port === remembered
        ? `; it was chosen on the first start and is remembered in ports.json so that the issuer and URLs stay the same: free it, or delete "${key}" from ports.json to choose a new one (tokens issued before then stop validating)`
        : ''
    throw new TypeError(`port ${port} is in use by another program${hint}`, { cause: error })
  }
}
