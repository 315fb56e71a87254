// The composition root (SPIRE `server.go`, Logto `Tenant.ts`): store → directory → services →
// HTTP plugins. Returns an app that is built but not listening, for tests and for start.ts.
import Fastify, { type FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import type { RotationPolicy } from '../domain/key-rotation.js'
import { issueCertificate, type PemPair } from '../common/pki.js'
import { createChangeFeed, type ChangeFeed } from '../directory/change-feed.js'
import { createHostRegistry, type HostRegistry } from '../directory/hosts.js'
import type { PublicUrl } from '../common/public-url.js'
import type { Store } from '../store/store.js'
import type { Installation } from '../directory/bootstrap.js'
import { createKeyRing, stsPlugin, v1Issuer, type KeyRing } from '../sts/index.js'
import { createAccessTokenVerifier } from '../sts/verify-token.js'
import { createDirectory } from '../directory/create-directory.js'
import type { Directory } from '../directory/directory.js'
import { armPlugin } from '../arm/index.js'
import type { Config } from './config.js'
import { createOperatorAuthorizer } from './operator-auth.js'

export interface BuildOptions {
  config: Config
  store: Store
  clock: Clock
  tls: PemPair
  ca: PemPair
  masterKey: Uint8Array
  installation: Installation
  publicUrl: PublicUrl
}

export interface Built {
  app: FastifyInstance
  keyRing: KeyRing
  directory: Directory
  hosts: HostRegistry
  feed: ChangeFeed
}

/** Never log credentials: headers that carry them are redacted wherever a request is logged. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-identity-header"]',
  'req.headers.secret',
  'req.body.client_secret',
  'req.body.client_assertion',
]

export function rotationPolicy(config: Config): RotationPolicy {
  const r = config.keyRotation
  return {
    intervalMs: r.intervalSeconds * 1000,
    prePublishMs: r.prePublishSeconds * 1000,
    maxTokenLifetimeMs:
      Math.max(config.tokenLifetimeSeconds, config.appTokenLifetimeSeconds) * 1000,
    skewMs: r.skewSeconds * 1000,
  }
}

export async function build(o: BuildOptions): Promise<Built> {
  const app = Fastify({
    https: { key: o.tls.keyPem, cert: o.tls.certPem },
    logger: { level: o.config.logLevel, redact: REDACT },
    genReqId: () => randomUUID(),
    bodyLimit: 1_048_576,
  })
  const policy = rotationPolicy(o.config)
  const keyRing = createKeyRing({
    store: o.store,
    masterKey: o.masterKey,
    clock: o.clock,
    policy,
    algorithm: o.config.signingAlgorithm,
    onError: (err) => app.log.error({ err }, 'signing key rotation failed'),
  })

  const directory = createDirectory({
    store: o.store,
    clock: o.clock,
    tenantId: o.installation.tenantId,
  })
  const verifyToken = createAccessTokenVerifier({
    keyRing,
    clock: o.clock,
    issuer: () => v1Issuer(o.publicUrl(), o.installation.tenantId),
    algorithm: o.config.signingAlgorithm,
  })
  const feed = createChangeFeed({
    store: o.store,
    onError: (err) => app.log.error({ err }, 'change feed poll failed'),
  })
  const hosts = createHostRegistry({
    store: o.store,
    clock: o.clock,
    certificateLifetimeMs: o.config.hostCertificateLifetimeSeconds * 1000,
    joinTokenLifetimeMs: o.config.joinTokenLifetimeSeconds * 1000,
    issueCertificate: async (hostId, publicKeyPem, lifetimeMs) =>
      (
        await issueCertificate(o.ca, {
          commonName: hostId,
          usage: 'client',
          publicKeyPem,
          now: o.clock.now(),
          validityDays: lifetimeMs / 86_400_000,
        })
      ).certPem,
  })
  const authorizeOperator = createOperatorAuthorizer({
    verifyToken,
    audiences: () => [...o.config.managementAudiences, o.publicUrl(), `${o.publicUrl()}/`],
    operatorObjectId: o.installation.operator.objectId,
  })

  await app.register(stsPlugin, {
    store: o.store,
    keyRing,
    clock: o.clock,
    tenantId: o.installation.tenantId,
    authority: o.publicUrl,
    policy,
    algorithm: o.config.signingAlgorithm,
    appTokenLifetimeMs: o.config.appTokenLifetimeSeconds * 1000,
    identityTokenLifetimeMs: o.config.tokenLifetimeSeconds * 1000,
    hosts,
    feed,
    caCertPem: o.ca.certPem,
    authorizeOperator,
  })
  await app.register(armPlugin, {
    directory,
    verifyToken,
    audiences: o.config.managementAudiences,
    operatorObjectId: o.installation.operator.objectId,
    clock: o.clock,
    publicUrl: o.publicUrl,
  })

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: { code: 'NotFound', message: `no route for ${req.method} ${req.url.split('?')[0]}` },
    }),
  )
  app.addHook('onClose', async () => {
    keyRing.stop()
    feed.stop()
  })
  return { app, keyRing, directory, hosts, feed }
}
