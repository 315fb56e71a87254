// The token service as one encapsulated Fastify plugin: discovery, JWKS and the token endpoint,
// with the OAuth error renderer installed for all of them.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { acceptForms } from '../common/form-body.js'
import { renderOAuthError } from '../common/oauth-error.js'
import type { Clock } from '../domain/clock.js'
import type { RotationPolicy } from '../domain/key-rotation.js'
import type { Store } from '../store/store.js'
import type { ChangeFeed } from '../directory/change-feed.js'
import type { TokenRevocations } from '../directory/token-revocations.js'
import type { HostRegistry } from '../directory/hosts.js'
import { createClientAuthenticator } from './authenticate-client.js'
import { createFederatedAssertions } from './federated-assertion.js'
import { createIssuerFetch } from './issuer-fetch.js'
import { createIssuerKeys } from './issuer-keys.js'
import { createDirectoryView } from './directory-view.js'
import { createGrants } from './grants.js'
import { createHostAuthenticator } from './host-assertion.js'
import { createHostCertificates } from './host-certificates.js'
import { createTlsHostAuthenticator } from './host-tls.js'
import { hostsApi } from './hosts-api.js'
import { federationTestApi } from './federation-test-api.js'
import { createManagedIdentityGrant } from './managed-identity-grant.js'
import { registerDiscovery, v1Issuer } from './discovery.js'
import { registerRevocationFeed } from './revocation-feed.js'
import type { KeyRing } from './key-ring.js'
import { createTenantGuard } from './tenant.js'
import { federationIssuer, issuerForAudience, type IssuerSettings } from '../domain/oidc-issuer.js'
import { registerTokenEndpoint } from './token-endpoint.js'
import { createSignInLog } from './sign-in-log.js'

export interface StsPluginOptions {
  store: Store
  keyRing: KeyRing
  clock: Clock
  tenantId: string
  /** The public base URL (`https://host:port`), known once the server listens. */
  authority: () => string
  policy: RotationPolicy
  algorithm: string
  appTokenLifetimeMs: number
  bodyLimit?: number
  /** Lifetime of managed-identity tokens. */
  identityTokenLifetimeMs: number
  hosts: HostRegistry
  feed: ChangeFeed
  /** The revocations in force: refused by the verifiers, served to `keyless/verify`. */
  revocations: TokenRevocations
  caCertPem: string
  authorizeOperator: (request: FastifyRequest, action: string, scope?: string) => Promise<void>
  /** Record every token request in the sign-in log (on unless configured off). */
  recordSignIns: boolean
  federation: FederationOptions
}

/** How external issuers' tokens are checked (server config `federation`, in ms and bytes). */
export interface FederationOptions {
  privateIssuers: readonly string[]
  fetchTimeoutMs: number
  maxDocumentBytes: number
  keysCacheMs: number
  keysRefetchMs: number
  clockSkewS: number
  maxAssertionLifetimeS: number
  /** Which tokens carry the public issuer (domain/oidc-issuer.ts). */
  issuer: IssuerSettings
}

export async function stsPlugin(app: FastifyInstance, o: StsPluginOptions): Promise<void> {
  app.setErrorHandler((err, req, reply) =>
    renderOAuthError(err as Error, req, reply, o.clock.now()),
  )
  const tenant = createTenantGuard(o.tenantId)
  const checkCertificate = createHostCertificates({ caCertPem: o.caCertPem })
  const authenticateHost = createHostAuthenticator({
    checkCertificate,
    hosts: o.hosts,
    store: o.store,
    clock: o.clock,
  })
  const privateIssuers = new Set(o.federation.privateIssuers)
  const federated = createFederatedAssertions({
    store: o.store,
    clock: o.clock,
    clockSkewS: o.federation.clockSkewS,
    maxLifetimeS: o.federation.maxAssertionLifetimeS,
    issuerKeys: createIssuerKeys({
      fetchJson: createIssuerFetch({
        // The installation's own CA too: local issuers (`keyless test-issuer`, another
        // installation's endpoints on this machine) are served under it.
        extraCaPems: [o.caCertPem],
        timeoutMs: o.federation.fetchTimeoutMs,
        maxBytes: o.federation.maxDocumentBytes,
      }),
      clock: o.clock,
      cacheMs: o.federation.keysCacheMs,
      refetchMs: o.federation.keysRefetchMs,
      isPrivateAllowed: (issuer) => privateIssuers.has(issuer),
    }),
  })
  registerDiscovery(app, {
    authority: o.authority,
    tenant,
    keyRing: o.keyRing,
    algorithm: o.algorithm,
  })
  registerRevocationFeed(app, {
    feed: o.feed,
    revocations: o.revocations,
    keyRing: o.keyRing,
    clock: o.clock,
    tenant,
    issuer: () => v1Issuer(o.authority(), o.tenantId),
  })
  // Token requests are forms and nothing else: in their own scope, any other body type is a
  // 415, rendered as OAuth `invalid_request` by the error handler.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    acceptForms(scope, o.bodyLimit ?? 65_536)
    registerTokenEndpoint(scope, {
      authority: o.authority,
      issuerFor: (tenantId, audience) =>
        issuerForAudience(o.federation.issuer, v1Issuer(o.authority(), tenantId), audience),
      tenant,
      keyRing: o.keyRing,
      clock: o.clock,
      policy: o.policy,
      directory: createDirectoryView({ store: o.store }),
      isRevoked: o.revocations.isRevoked,
      ...(o.recordSignIns && {
        recordSignIn: createSignInLog({ store: o.store.signIns, clock: o.clock }),
      }),
      authenticateClient: createClientAuthenticator({
        store: o.store,
        clock: o.clock,
        authenticateHost,
        federated,
        authenticateTlsHost: createTlsHostAuthenticator({ checkCertificate, clock: o.clock }),
      }),
      runGrant: createGrants({
        appTokenLifetimeMs: o.appTokenLifetimeMs,
        identityTokenLifetimeMs: o.identityTokenLifetimeMs,
        managedIdentity: createManagedIdentityGrant({ lifetimeMs: o.identityTokenLifetimeMs }),
      }),
    })
  })
  await app.register(federationTestApi, {
    store: o.store,
    keyRing: o.keyRing,
    policy: o.policy,
    algorithm: o.algorithm,
    clock: o.clock,
    issuer: (tenantId) => federationIssuer(o.federation.issuer, v1Issuer(o.authority(), tenantId)),
    federated,
    tenantId: o.tenantId,
    authorizeOperator: o.authorizeOperator,
  })
  await app.register(hostsApi, {
    hosts: o.hosts,
    clock: o.clock,
    authenticateHost,
    authorizeOperator: o.authorizeOperator,
    caCertPem: o.caCertPem,
    tenantId: o.tenantId,
    authority: o.authority,
    feed: o.feed,
    ...(o.recordSignIns && {
      signIns: { store: o.store.signIns, directory: createDirectoryView({ store: o.store }) },
    }),
  })
}

export { createKeyRing, type KeyRing } from './key-ring.js'
export { generateClientSecret, hashClientSecret } from './client-secret.js'
export { SIGNING_ALGORITHMS, type SigningAlgorithm } from './key-material.js'
export { v1Issuer } from './discovery.js'
export { createSessionTokenMinter, type MintSessionToken } from './session-token.js'
export { createSignInLog } from './sign-in-log.js'
