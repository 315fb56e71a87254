// Step one of a token request: who is the client? One method per way a client proves it (the
// OAuth client authentication methods of RFC 8414 §2 / RFC 8705 §2), tried in the order of the
// table below; the first that applies decides, and none applying is a missing credential.
// - client_secret (basic or post): applications, the operator among them
// - private_key_jwt: agent hosts, with a client assertion signed by the host key (RFC 7523)
// - tls_client_auth: agent hosts, with the host certificate as TLS client certificate (RFC 8705)
// Later: federated assertions for workload identity federation.
import type { Clock } from '../domain/clock.js'
import { OAuthErrors, oauthError } from '../common/oauth-error.js'
import { ASSERTION_TYPE } from '../common/agent-protocol.js'
import type { HostRow } from '../store/schema.js'
import type { Store } from '../store/store.js'
import { matchesClientSecret } from './client-secret.js'
import type { DirectoryReads } from './directory-view.js'
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
  { kind: 'application'; objectId: string; appId: string } | { kind: 'host'; host: HostRow }

export type ClientKind = AuthenticatedClient['kind']

interface ClientAuthMethod {
  name: 'client_secret' | 'private_key_jwt' | 'tls_client_auth'
  applies(request: TokenRequest, context: TokenContext): boolean
  authenticate(request: TokenRequest, context: TokenContext): Promise<AuthenticatedClient>
}

export interface ClientAuthOptions {
  store: Pick<Store, 'principals' | 'clientSecrets'>
  clock: Clock
  authenticateHost: HostAuthenticator
  authenticateTlsHost: TlsHostAuthenticator
}

const hostIdMismatch = () =>
  oauthError(401, 'invalid_client', 700021, 'client_id must be the host id.')

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
      name: 'private_key_jwt',
      applies: (request) => request.clientAssertion !== undefined,
      async authenticate(request, { endpoint, reads }) {
        if (request.clientAssertionType !== ASSERTION_TYPE) {
          throw oauthError(
            400,
            'invalid_request',
            700023,
            `client_assertion_type must be ${ASSERTION_TYPE}.`,
          )
        }
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
