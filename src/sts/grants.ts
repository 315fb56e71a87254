// Step two of a token request: the grant, picked from a table by what kind of client was
// authenticated. Every request is `client_credentials` (token-request.ts refuses the others):
// an application receives a token for itself; an agent host receives one for a managed
// identity of a resource it runs (managed-identity-grant.ts); a federated client (a workload
// with an external issuer's token) receives its user-assigned identity's normal token.
import { miridForm } from '../domain/resource-id.js'
import type { TokenSubject } from '../domain/token-claims.js'
import type { HostRow } from '../store/schema.js'
import type { AuthenticatedClient, ClientKind, TokenContext } from './authenticate-client.js'
import type { DirectoryReads } from './directory-view.js'
import type { TokenRequest } from './token-request.js'

export interface Grant {
  subject: TokenSubject
  lifetimeMs: number
  /** Extra response fields (the managed-identity grant names the identity it chose). */
  response?: Record<string, string>
}

type GrantTable = {
  [K in ClientKind]: (
    request: TokenRequest,
    client: Extract<AuthenticatedClient, { kind: K }>,
    context: TokenContext,
  ) => Promise<Grant>
}

export interface GrantOptions {
  appTokenLifetimeMs: number
  /** Lifetime of managed-identity tokens, federated ones included. */
  identityTokenLifetimeMs: number
  /** The managed-identity grant (managed-identity-grant.ts). */
  managedIdentity: (request: TokenRequest, host: HostRow, reads: DirectoryReads) => Promise<Grant>
}

export function createGrants(o: GrantOptions) {
  const table: GrantTable = {
    application: async (_request, client) => ({
      subject: { objectId: client.objectId, appId: client.appId, appidacr: '1' },
      lifetimeMs: o.appTokenLifetimeMs,
    }),
    host: (request, client, { reads }) => o.managedIdentity(request, client.host, reads),
    federated: async (_request, { principal, resource }) => ({
      subject: {
        objectId: principal.object_id,
        appId: principal.app_id,
        appidacr: '2',
        mirid: miridForm(resource.id),
      },
      lifetimeMs: o.identityTokenLifetimeMs,
    }),
  }
  /** Runs the grant of the client's kind. */
  return function runGrant(
    request: TokenRequest,
    client: AuthenticatedClient,
    context: TokenContext,
  ): Promise<Grant> {
    const handler = table[client.kind] as (
      r: TokenRequest,
      c: AuthenticatedClient,
      x: TokenContext,
    ) => Promise<Grant>
    return handler(request, client, context)
  }
}

export type RunGrant = ReturnType<typeof createGrants>
