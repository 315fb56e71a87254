// Client authentication for the token endpoint. Today: client secrets (the operator and other
// application principals). Managed identities never hold secrets; their tokens are requested by
// agents with a client assertion (added with the agent).
import type { Clock } from '../domain/clock.js'
import type { TokenSubject } from '../domain/token-claims.js'
import { OAuthErrors } from '../common/oauth-error.js'
import type { Store } from '../store/store.js'
import { matchesClientSecret } from './client-secret.js'
import type { TokenRequest } from './token-request.js'

export interface Grant {
  subject: TokenSubject
  lifetimeMs: number
  /** Extra response fields (the managed-identity grant names the identity it chose). */
  response?: Record<string, string>
}

export type ClientAuthenticator = (request: TokenRequest, tenantId: string) => Promise<Grant>

export interface ClientAuthOptions {
  store: Pick<Store, 'principals' | 'clientSecrets'>
  clock: Clock
  appTokenLifetimeMs: number
  /** Handles `client_assertion` requests; absent until agents exist. */
  assertion?: ClientAuthenticator
}

export function createClientAuthenticator(o: ClientAuthOptions): ClientAuthenticator {
  return async (request, tenantId) => {
    if (request.clientAssertion !== undefined) {
      if (!o.assertion) throw OAuthErrors.missingParameter('client_secret')
      return o.assertion(request, tenantId)
    }
    const principal = await o.store.principals.fetchByAppId(request.clientId.toLowerCase())
    if (!principal || principal.tenant_id !== tenantId)
      throw OAuthErrors.unknownClient(request.clientId, tenantId)
    const secrets = await o.store.clientSecrets.listByAppId(principal.app_id)
    if (!matchesClientSecret(request.clientSecret ?? '', secrets, o.clock.now())) {
      throw OAuthErrors.invalidClientSecret(request.clientId)
    }
    return {
      subject: { objectId: principal.object_id, appId: principal.app_id, appidacr: '1' },
      lifetimeMs: o.appTokenLifetimeMs,
    }
  }
}
