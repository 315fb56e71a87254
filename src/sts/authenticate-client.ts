// Step one of a token request: who is the client? One method per way a client proves it (the
// OAuth client authentication methods of RFC 8414 §2 / RFC 8705 §2), tried in the order of the
// table below; the first that applies decides, and none applying is a missing credential.
// - client_secret (basic or post): applications, the operator among them
// - private_key_jwt: agent hosts, with a client assertion signed by the host key (RFC 7523)
// - tls_client_auth: agent hosts, with the host certificate as TLS client certificate (RFC 8705)
// - federated assertion: a user-assigned identity, with a token from an external OIDC issuer that
//   one of its federated identity credentials trusts (federated-assertion.ts). It is told apart
//   from a host's assertion by its header: a host's carries the host certificate as `x5c`.
import type { Clock } from '../domain/clock.js'
import { OAuthErrors, oauthError } from '../common/oauth-error.js'
import { ASSERTION_TYPE } from '../common/agent-protocol.js'
import type { HostRow, ResourceRow, ServicePrincipalRow } from '../store/schema.js'
import { decodeProtectedHeader } from 'jose'
import type { Store } from '../store/store.js'
import { matchesClientSecret } from './client-secret.js'
import type { DirectoryReads } from './directory-view.js'
import type { FederatedAssertions } from './federated-assertion.js'
import type { FederatedCredentialRule } from '../domain/federated-match.js'
import type { HostAuthenticator } from './host-assertion.js'
import type { TlsHostAuthenticator, TlsPeer } from './host-tls.js'
import type { TokenRequest } from './token-request.js'

/** What one token request knows besides its parameters. */
export interface TokenContext {
  tenantId: string
  /** The URL of the endpoint called: what a client assertion must be addressed to. */
  endpoint: string
  /** Directory reads of this request (directory-view.ts): exact as of the request. */
  reads: DirectoryReads
  /** The TLS connection the request came on. */
  peer: TlsPeer
}

export type AuthenticatedClient =
  | { kind: 'application'; objectId: string; appId: string }
  | { kind: 'host'; host: HostRow }
  | {
      kind: 'federated'
      principal: ServicePrincipalRow
      resource: ResourceRow
      credential: FederatedCredentialRule
    }

export type ClientKind = AuthenticatedClient['kind']

interface ClientAuthMethod {
  name: 'client_secret' | 'federated_assertion' | 'private_key_jwt' | 'tls_client_auth'
  applies(request: TokenRequest, context: TokenContext): boolean
  authenticate(request: TokenRequest, context: TokenContext): Promise<AuthenticatedClient>
}

export interface ClientAuthOptions {
  store: Pick<Store, 'principals' | 'clientSecrets' | 'resources'>
  clock: Clock
  authenticateHost: HostAuthenticator
  federated: Pick<FederatedAssertions, 'authenticate'>
  authenticateTlsHost: TlsHostAuthenticator
}

const hostIdMismatch = () =>
  oauthError(401, 'invalid_client', 700021, 'client_id must be the host id.')

/** Whether an assertion is a host's (its certificate in `x5c`); an unreadable one is left to
 * the host method, which refuses it. */
function isHostAssertion(assertion: string): boolean {
  try {
    return decodeProtectedHeader(assertion).x5c !== undefined
  } catch {
    return true
  }
}

const wrongAssertionType = () =>
  oauthError(400, 'invalid_request', 700023, `client_assertion_type must be ${ASSERTION_TYPE}.`)

/** The user-assigned identity whose client id is `clientId`, in this tenant. */
export async function userAssignedIdentity(
  store: Pick<Store, 'principals' | 'resources'>,
  clientId: string,
  tenantId: string,
) {
  const principal = await store.principals.fetchByAppId(clientId.toLowerCase())
  const resource =
    principal?.identity_kind === 'UserAssigned' &&
    principal.tenant_id === tenantId &&
    principal.resource_key !== null
      ? await store.resources.fetch(principal.resource_key)
      : undefined
  if (!principal || !resource) throw OAuthErrors.unknownClient(clientId, tenantId)
  return { principal, resource }
}

export function createClientAuthenticator(o: ClientAuthOptions) {
  const methods: ClientAuthMethod[] = [
    {
      name: 'client_secret',
      applies: (request) => request.clientSecret !== undefined,
      async authenticate(request, { tenantId }) {
        const principal = await o.store.principals.fetchByAppId(request.clientId.toLowerCase())
        if (!principal || principal.tenant_id !== tenantId)
          throw OAuthErrors.unknownClient(request.clientId, tenantId)
        const secrets = await o.store.clientSecrets.listByAppId(principal.app_id)
        if (!matchesClientSecret(request.clientSecret ?? '', secrets, o.clock.now())) {
          throw OAuthErrors.invalidClientSecret(request.clientId)
        }
        return { kind: 'application', objectId: principal.object_id, appId: principal.app_id }
      },
    },
    {
      name: 'federated_assertion',
      applies: (request) =>
        request.clientAssertion !== undefined && !isHostAssertion(request.clientAssertion),
      async authenticate(request, { tenantId }) {
        if (request.clientAssertionType !== ASSERTION_TYPE) throw wrongAssertionType()
        const identity = await userAssignedIdentity(o.store, request.clientId, tenantId)
        const credential = await o.federated.authenticate(
          request.clientAssertion!,
          identity,
          request.resource,
        )
        return { kind: 'federated', ...identity, credential }
      },
    },
    {
      name: 'private_key_jwt',
      applies: (request) => request.clientAssertion !== undefined,
      async authenticate(request, { endpoint, reads }) {
        if (request.clientAssertionType !== ASSERTION_TYPE) throw wrongAssertionType()
        const host = await o.authenticateHost(request.clientAssertion!, endpoint, reads.host)
        if (request.clientId !== host.id) throw hostIdMismatch()
        return { kind: 'host', host }
      },
    },
    {
      name: 'tls_client_auth',
      applies: (_request, { peer }) => o.authenticateTlsHost.presents(peer),
      async authenticate(request, { peer, reads }) {
        const host = await o.authenticateTlsHost(peer, reads.host)
        if (request.clientId !== host.id) throw hostIdMismatch()
        return { kind: 'host', host }
      },
    },
  ]

  return async function authenticateClient(
    request: TokenRequest,
    context: TokenContext,
  ): Promise<AuthenticatedClient> {
    const method = methods.find((m) => m.applies(request, context))
    if (!method) throw OAuthErrors.missingParameter('client_assertion or client_secret')
    return method.authenticate(request, context)
  }
}

export type ClientAuthenticator = ReturnType<typeof createClientAuthenticator>
