// The composition root (SPIRE `server.go`, Logto `Tenant.ts`): store → directory → services →
// HTTP plugins. Returns an app that is built but not listening, for tests and for start.ts.
import Fastify, { type FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import type { RotationPolicy } from '../domain/key-rotation.js'
import { issueCertificate, type PemPair } from '../common/pki.js'
import { caBundle, type CaSet } from './ca-set.js'
import { createChangeFeed, type ChangeFeed } from '../directory/change-feed.js'
import { createPrincipalPresence } from '../directory/principal-presence.js'
import { createTokenRevocations, type TokenRevocations } from '../directory/token-revocations.js'
import type { RevocationOf } from '../common/access-token.js'
import { createHostRegistry, type HostRegistry } from '../directory/hosts.js'
import type { KeyHierarchy } from '../common/key-hierarchy.js'
import type { PublicUrl } from '../common/public-url.js'
import type { Store } from '../store/store.js'
import type { Installation } from '../directory/bootstrap.js'
import { createKeyRing, stsPlugin, v1Issuer, type KeyRing } from '../sts/index.js'
import { createAccessTokenVerifier } from '../sts/verify-token.js'
import { createDirectory } from '../directory/create-directory.js'
import type { Directory } from '../directory/directory.js'
import { armPlugin } from '../arm/index.js'
import { renderArmError } from '../arm/envelope.js'
import { errorEnvelope } from '../common/error-envelope.js'
import { clientErrorResponder } from '../common/framework-errors.js'
import { KeylessError } from '../domain/errors.js'
import { createAuthz, type Authz } from '../authz/index.js'
import { createBlobService, type BlobService } from '../dataplane/blob/index.js'
import { createQueueService, type QueueService } from '../dataplane/queue/index.js'
import type { AuthorizeDataAction, DataDecision } from '../dataplane/options.js'
import { createVaultService, type VaultService } from '../dataplane/vault/index.js'
import { BUILT_IN_ROLE_IDS } from '../domain/rbac/built-in-roles.js'
import { KEY_VAULTS, STORAGE_ACCOUNTS } from '../domain/resource-types.js'
import type { Config } from './config.js'
import { createBearerAuthenticator, createOperatorAuthorizer } from './operator-auth.js'
import { createSessionTokenMinter, createSignInLog } from '../sts/index.js'
import { portalPlugin } from '../portal/index.js'
import { createPortalSessions } from '../portal/sessions.js'
import { PORTAL_TOKEN_LIFETIME_MS } from '../domain/portal.js'
import { healthRoutes, type ReadinessChecks } from './health.js'
import { logsApi } from './logs-api.js'
import { startLogRetention } from './log-retention.js'
import { awaitChangesAfterWrites } from './read-your-writes.js'
import type { DestinationStream } from 'pino'
import { createServerMetrics, type ServerMetrics } from '../common/metrics.js'
import {
  countArmRequests,
  countRbacDecisions,
  countStoreErrors,
  countTokenRequests,
  followChangeFeedLag,
  metricsRoute,
} from './metrics.js'

export interface BuildOptions {
  config: Config
  store: Store
  clock: Clock
  tls: PemPair
  /** The CA set: the active CA signs host certificates; the whole bundle is trusted. */
  ca: CaSet
  keys: KeyHierarchy
  installation: Installation
  publicUrl: PublicUrl
  /** Where request logs go (a file in the data directory for `keyless up`); stdout if unset. */
  logDestination?: DestinationStream
  readiness?: Pick<ReadinessChecks, 'agentReady'>
  /** This process's metrics (a registry of its own); a new set if unset. */
  metrics?: ServerMetrics
}

export interface Built {
  app: FastifyInstance
  keyRing: KeyRing
  directory: Directory
  hosts: HostRegistry
  feed: ChangeFeed
  revocations: TokenRevocations
  authz: Authz
  vault: VaultService
  blob: BlobService
  queue: QueueService
  metrics: ServerMetrics
}

/** Never log credentials: headers that carry them are redacted wherever a request is logged. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-identity-header"]',
  'req.headers.secret',
  'req.headers.cookie',
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

function federationOptions(config: Config) {
  const f = config.federation
  return {
    privateIssuers: f.privateIssuers,
    fetchTimeoutMs: f.fetchTimeoutSeconds * 1000,
    maxDocumentBytes: f.maxDocumentBytes,
    keysCacheMs: f.keysCacheSeconds * 1000,
    keysRefetchMs: f.keysRefetchSeconds * 1000,
    clockSkewS: f.clockSkewSeconds,
    maxAssertionLifetimeS: f.maxAssertionLifetimeSeconds,
    issuer: { publicIssuer: f.publicIssuer, audiences: f.issuerAudiences },
  }
}

export async function build(options: BuildOptions): Promise<Built> {
  const metrics = options.metrics ?? createServerMetrics()
  // Every part below reads the database through this store, so every failed call is counted.
  const o = { ...options, store: countStoreErrors(options.store, metrics) }
  const app = Fastify({
    // Agents may authenticate with their host certificate (RFC 8705 tls_client_auth,
    // sts/host-tls.ts): the listener asks every client for a certificate of the Keyless CA and
    // requires none, so clients without one connect as before.
    https: {
      key: o.tls.keyPem,
      cert: o.tls.certPem,
      ca: caBundle(o.ca),
      requestCert: true,
      rejectUnauthorized: false,
    },
    logger: {
      level: o.config.logLevel,
      redact: REDACT,
      ...(o.logDestination && { stream: o.logDestination }),
    },
    genReqId: () => randomUUID(),
    bodyLimit: 1_048_576,
    // Errors the router raises before any plugin (a URL it cannot decode) use the same table.
    frameworkErrors: (err, req, reply) => void renderArmError(err, req, reply),
    clientErrorHandler: clientErrorResponder((status) => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify(
        errorEnvelope(
          new KeylessError(
            status,
            status === 431 ? 'RequestHeadersTooLarge' : 'BadRequest',
            'the request could not be parsed',
          ),
        ),
      ),
    })),
  })
  const policy = rotationPolicy(o.config)
  const keyRing = createKeyRing({
    store: o.store,
    wrappingKey: o.keys.forPurpose('signing-keys'),
    clock: o.clock,
    policy,
    algorithm: o.config.signingAlgorithm,
    onError: (err) => app.log.error({ err }, 'signing key rotation failed'),
  })

  const directory = createDirectory({
    store: o.store,
    clock: o.clock,
    tenantId: o.installation.tenantId,
    maxFederatedCredentials: o.config.maxFederatedCredentials,
  })
  const verifyToken = createAccessTokenVerifier({
    keyRing,
    clock: o.clock,
    issuer: () => v1Issuer(o.publicUrl(), o.installation.tenantId),
    tenantId: o.installation.tenantId,
    algorithm: o.config.signingAlgorithm,
    maxLifetimeSeconds: policy.maxTokenLifetimeMs / 1000,
  })
  const feed = createChangeFeed({
    store: o.store,
    onError: (err) => app.log.error({ err }, 'change feed poll failed'),
  })
  const authz = await createAuthz({
    store: o.store,
    clock: o.clock,
    tenantId: o.installation.tenantId,
  })
  countRbacDecisions(authz, metrics)
  await ensureOperatorIsOwner(authz, o.installation.operator.objectId)
  // The index follows the same change stream as the agents: a change committed by any replica
  // reaches every decision within the feed's period.
  feed.subscribe((e) => {
    try {
      authz.apply(e)
    } catch (err) {
      app.log.error({ err, seq: e.seq }, 'RBAC index could not apply a change; reloading')
      void authz.refresh().catch((e2) => app.log.error({ err: e2 }, 'RBAC reload failed'))
    }
  })
  followChangeFeedLag(feed, o.clock, metrics)
  const hosts = createHostRegistry({
    store: o.store,
    clock: o.clock,
    tenantId: o.installation.tenantId,
    certificateLifetimeMs: o.config.hostCertificateLifetimeSeconds * 1000,
    joinTokenLifetimeMs: o.config.joinTokenLifetimeSeconds * 1000,
    issueCertificate: async (hostId, publicKeyPem, lifetimeMs) =>
      (
        await issueCertificate(o.ca.active, {
          commonName: hostId,
          usage: 'client',
          publicKeyPem,
          now: o.clock.now(),
          validityDays: lifetimeMs / 86_400_000,
        })
      ).certPem,
  })
  // Every verifier asks the same question; the presence cache answers from memory and forgets a
  // principal as soon as the change feed delivers its deletion.
  const principals = createPrincipalPresence({ store: o.store, subscribe: feed.subscribe })
  // …and the revocations in force (detached identities, deleted resources, revoked hosts) are
  // the same log read the same way, also served to `keyless/verify` (sts/revocation-feed.ts).
  const revocations = createTokenRevocations({
    feed,
    clock: o.clock,
    retainMs: policy.maxTokenLifetimeMs + policy.skewMs,
  })
  const revocationOf: RevocationOf = async (claims) => {
    if (!(await principals.exists(claims.oid))) return 'principal-deleted'
    return revocations.isRevoked(claims) ? 'revoked' : undefined
  }
  const operatorAudiences = () => [
    ...o.config.managementAudiences,
    o.publicUrl(),
    `${o.publicUrl()}/`,
  ]
  const authorizeOperator = createOperatorAuthorizer({
    verifyToken,
    revocationOf,
    audiences: operatorAudiences,
    checkAccess: (principalId, action, scope) => authz.checkAccess(principalId, action, scope),
  })

  // The data planes decide on the live index and directory: a removed assignment or a deleted
  // identity is refused at the next request, whatever the age of the caller's token.
  // The index's fast path decides; only a refusal, whose message names the reason, pays for
  // the explanation.
  const decide =
    (dataAction: boolean): AuthorizeDataAction =>
    (principalId, action, scope) =>
      authz.checkAccess(principalId, action, scope, { dataAction })
        ? ALLOWED
        : dataDecision(authz.explain(principalId, action, scope, { dataAction }))
  const dataPlane = {
    verifyToken,
    authorize: decide(true),
    revocationOf,
    directory,
    store: o.store,
    clock: o.clock,
    tenantId: o.installation.tenantId,
    authority: o.publicUrl,
    dataDir: o.config.dataDir,
    keys: o.keys,
    tls: o.tls,
    host: o.config.host,
    logger: app.log,
  }
  const vault = createVaultService({
    ...dataPlane,
    hostSuffix: o.config.vaultHostSuffix,
    port: o.config.vaultPort,
    subscribe: feed.subscribe,
  })
  const blob = createBlobService({
    ...dataPlane,
    authorizeAction: decide(false),
    port: o.config.blobPort,
    maxBlobBytes: o.config.blobMaxBytes,
  })
  const queue = createQueueService({
    ...dataPlane,
    authorizeAction: decide(false),
    port: o.config.queuePort,
  })

  // Before the plugins register, so that the hook covers every route they add.
  awaitChangesAfterWrites(app, feed)
  countTokenRequests(app, metrics)
  await app.register(metricsRoute, { metrics, authorize: authorizeOperator })
  await app.register(healthRoutes, {
    store: () => o.store.ping(),
    keysLoaded: () => keyRing.jwks().keys.length > 0,
    agentReady: o.readiness?.agentReady ?? (() => true),
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
    revocations,
    caCertPem: caBundle(o.ca),
    authorizeOperator,
    recordSignIns: o.config.signInLog,
    federation: federationOptions(o.config),
  })
  await app.register(logsApi, { store: o.store, authorizeOperator })
  await app.register(portalPlugin, {
    sessions: createPortalSessions({ store: o.store.portalSessions, clock: o.clock }),
    mintToken: createSessionTokenMinter({
      keyRing,
      policy,
      clock: o.clock,
      tenantId: o.installation.tenantId,
      authority: o.publicUrl,
      principals: o.store.principals,
      lifetimeMs: PORTAL_TOKEN_LIFETIME_MS,
      ...(o.config.signInLog && {
        recordSignIn: createSignInLog({ store: o.store.signIns, clock: o.clock }),
      }),
    }),
    principals: o.store.principals,
    authenticate: createBearerAuthenticator({
      verifyToken,
      revocationOf,
      audiences: operatorAudiences,
    }),
    authorizeOperator,
    publicUrl: o.publicUrl,
    audience: o.config.managementAudiences[0] ?? `${o.publicUrl()}/`,
    tenantId: o.installation.tenantId,
  })
  const retention = startLogRetention({
    store: o.store,
    clock: o.clock,
    retentionMs: o.config.logRetentionDays * 86_400_000,
    onError: (err) => app.log.error({ err }, 'log retention prune failed'),
  })
  // In a scope of its own, whose hook counts the ARM plugin's answers and nothing else's.
  await app.register(async (scope) => {
    countArmRequests(scope, metrics)
    await scope.register(armPlugin, {
      directory,
      verifyToken,
      revocationOf,
      audiences: o.config.managementAudiences,
      operatorObjectId: o.installation.operator.objectId,
      clock: o.clock,
      publicUrl: o.publicUrl,
      authz,
      activity: o.store.activity,
      machineIdOf: (hostId) => hosts.machineIdOf(hostId),
      ...(o.config.vaultHostSuffix !== undefined && { vaultHostSuffix: o.config.vaultHostSuffix }),
      dataPlanes: {
        async propertiesOf(r) {
          const type = r.type.toLowerCase()
          if (type === KEY_VAULTS.toLowerCase()) {
            const vaultUri = await vault.resolveVaultUri(r.id)
            // Not Azure's: the same vault by address, where `<vault>.<suffix>` does not resolve.
            const vaultUriByAddress = vault.vaultUriByAddress(r.id)
            if (!vaultUri) return undefined
            return vaultUriByAddress ? { vaultUri, vaultUriByAddress } : { vaultUri }
          }
          if (type === STORAGE_ACCOUNTS.toLowerCase()) {
            return {
              primaryEndpoints: {
                blob: `${blob.accountUrl(r.name)}/`,
                queue: `${queue.accountUrl(r.name)}/`,
              },
            }
          }
          return undefined
        },
      },
    })
  })

  // What no plugin claims (a URL the router cannot read, a path no plugin serves) is answered in
  // the control plane's envelope, through the same table of framework errors.
  app.setErrorHandler(renderArmError)
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: { code: 'NotFound', message: `no route for ${req.method} ${req.url.split('?')[0]}` },
    }),
  )
  app.addHook('onClose', async () => {
    keyRing.stop()
    retention.stop()
    feed.stop()
    principals.close()
    revocations.close()
    await vault.stop()
    await blob.stop()
    await queue.stop()
  })
  return { app, keyRing, directory, hosts, feed, revocations, authz, vault, blob, queue, metrics }
}

const ALLOWED: DataDecision = Object.freeze({ allowed: true, reason: 'Allowed' })

/** Azure's decision, in the data planes' terms. */
function dataDecision(d: ReturnType<Authz['explain']>): DataDecision {
  if (d.allowed) return { allowed: true, assignmentId: d.grant.assignmentId, reason: 'Allowed' }
  if (d.decision === 'denied') {
    return {
      allowed: false,
      denyAssignmentId: d.deny.denyAssignmentId,
      reason: 'DeniedWithDenyAssignment',
    }
  }
  return { allowed: false, reason: 'DeniedWithNoValidRBAC' }
}

/** The operator is Owner at the root scope (DESIGN: least privilege for everyone else). The
 * assignment is named after the operator, so that replicas starting together create one. */
async function ensureOperatorIsOwner(authz: Authz, operatorObjectId: string): Promise<void> {
  if (authz.checkAccess(operatorObjectId, '*', '/')) return
  try {
    await authz.createRoleAssignment('/', operatorObjectId, {
      roleDefinitionId: BUILT_IN_ROLE_IDS.owner,
      principalId: operatorObjectId,
      description: 'The Keyless operator',
    })
  } catch (err) {
    // Another replica, starting at the same moment, committed it first (seen in the cluster
    // trials: a restarted replica exited with "The role assignment already exists").
    if (!(err instanceof KeylessError && err.status === 409)) throw err
    await authz.sync()
    if (!authz.checkAccess(operatorObjectId, '*', '/')) throw err
  }
}
