// Starting a server: prepare the data directory, open the store, bootstrap the installation,
// build, listen, and publish the real endpoints in endpoints.json (tests and tools read it).
import { existsSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Clock } from '../domain/clock.js'
import { ensureDir, writeFileAtomic, writeSecretFile } from '../common/files.js'
import { latePublicUrl, urlHost } from '../common/public-url.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import { bootstrapInstallation } from '../directory/bootstrap.js'
import type { HostRegistry } from '../directory/hosts.js'
import { generateClientSecret, hashClientSecret } from '../sts/index.js'
import type { Config } from './config.js'
import { build } from './build.js'
import {
  dataPaths,
  ensureCertificateAuthority,
  ensureMasterKey,
  ensureTlsCertificate,
} from './data-dir.js'
import { systemClock } from '../common/clock.js'

export { systemClock } from '../common/clock.js'

export interface Endpoints {
  tenantId: string
  subscriptionId: string
  authorityHost: string
  managementEndpoint: string
  issuer: string
  jwksUri: string
  caCertFile: string
  adminCredentialFile: string
  /** Key Vault: `https://127.0.0.1:{port}/` (one listener per vault) or the host-name scheme. */
  vaultEndpoint: string
  /** Blob: `https://127.0.0.1:<port>`; an account's URL is `<blobEndpoint>/<account>`. */
  blobEndpoint: string
}

export interface RunningServer {
  endpoints: Endpoints
  app: FastifyInstance
  store: Store
  hosts: HostRegistry
  /** Adds keys to endpoints.json (e.g. the in-process agent's) and rewrites it. */
  publishEndpoints(extra: Record<string, string>): void
  close(): Promise<void>
}

/** Loopback names always; the bind address too when it is a specific one; with a vault host
 * suffix, every vault's name under it. */
function tlsNames(host: string, vaultHostSuffix?: string) {
  const ipAddresses = ['127.0.0.1', '::1']
  const dnsNames = ['localhost']
  if (vaultHostSuffix) dnsNames.push(vaultHostSuffix, `*.${vaultHostSuffix}`)
  const wildcard = host === '0.0.0.0' || host === '::'
  if (!wildcard && !ipAddresses.includes(host)) {
    ;(/^[\d.:]+$/.test(host) ? ipAddresses : dnsNames).push(host)
  }
  return { dnsNames, ipAddresses }
}

export interface StartOptions {
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
  ensureDir(paths.dataDir)
  // A previous run's file names ports nobody listens on any more; it is rewritten once ready.
  rmSync(paths.endpoints, { force: true })
  const now = clock.now()
  const masterKey = ensureMasterKey(paths)
  const ca = await ensureCertificateAuthority(paths, now)
  const tls = await ensureTlsCertificate(
    paths,
    ca,
    tlsNames(config.host, config.vaultHostSuffix?.toLowerCase()),
    now,
  )
  const store = await openStore(
    config.databaseUrl ? { postgresUrl: config.databaseUrl } : { sqliteFile: paths.database },
  )
  try {
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
    const { app, keyRing, feed, hosts, vault, blob } = await build({
      config,
      store,
      clock,
      tls,
      ca,
      masterKey,
      installation,
      publicUrl,
    })
    await keyRing.start()
    await feed.start()
    await app.listen({ host: config.host, port: config.port })
    const { port } = app.server.address() as AddressInfo
    const base = `https://${urlHost(config.host)}:${port}`
    publicUrl.set(base)
    await vault.start()
    await blob.start()
    const endpoints: Endpoints = {
      tenantId: installation.tenantId,
      subscriptionId: installation.subscriptionId,
      authorityHost: base,
      managementEndpoint: base,
      issuer: `${base}/${installation.tenantId}/`,
      jwksUri: `${base}/${installation.tenantId}/discovery/v2.0/keys`,
      caCertFile: paths.caCert,
      adminCredentialFile: paths.admin,
      vaultEndpoint: vault.baseEndpoint,
      blobEndpoint: blob.endpoint,
    }
    let published: Record<string, string> = { ...endpoints }
    const publishEndpoints = (extra: Record<string, string>) => {
      published = { ...published, ...extra }
      writeFileAtomic(paths.endpoints, JSON.stringify(published, null, 2) + '\n')
    }
    if (options.publishNow !== false) publishEndpoints({})
    return {
      endpoints,
      app,
      store,
      hosts,
      publishEndpoints,
      async close() {
        await app.close()
        await store.close()
      },
    }
  } catch (e) {
    await store.close()
    throw e
  }
}
