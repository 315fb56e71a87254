// Asking Keyless whether a principal may perform an action at a scope, with a short cache. The
// cache is the only lag between a role change and this service's decision, so it is kept short
// (default 1 s) and `invalidate()` drops it at once (e.g. from a change-stream listener).
import { KeylessVerifyError } from './errors.js'
import { createHttpsFetch } from './https-fetch.js'

export const CHECK_ACCESS_PATH = '/keyless/v1/checkAccess'

export interface AuthorizerOptions {
  /** Keyless's management endpoint (endpoints.json `managementEndpoint`). */
  managementEndpoint: string
  /** A token for the management endpoint, for this service's own identity (e.g. from
   * `new ManagedIdentityCredential().getToken(managementEndpoint + '/.default')`). */
  getToken: () => Promise<string>
  ca?: string | Buffer
  cacheTtlMs?: number
  now?: () => number
}

export interface AccessDecision {
  action: string
  allowed: boolean
  /** Human-readable chain (principal → assignment → role → permission → scope), when asked. */
  explanation?: string
}

/**
 * Asks Keyless's checkAccess API whether a principal may perform an action at a scope, with a
 * short cache (default 1 s) that `invalidate()` clears.
 *
 * @example
 * ```js
 * import { ManagedIdentityCredential } from '@azure/identity'
 * import { createAuthorizer } from 'keyless/verify'
 * const credential = new ManagedIdentityCredential()
 * const authz = createAuthorizer({
 *   managementEndpoint: endpoints.managementEndpoint,
 *   getToken: async () => (await credential.getToken(`${endpoints.managementEndpoint}/.default`)).token,
 * })
 * if (!(await authz.authorize(caller.objectId, 'Contoso.Orders/orders/read', scope))) reply.code(403)
 * ```
 */
export function createAuthorizer(o: AuthorizerOptions) {
  const fetch = createHttpsFetch({ ca: o.ca })
  const ttl = o.cacheTtlMs ?? 1_000
  const now = o.now ?? (() => Date.now())
  const cache = new Map<string, { at: number; decision: AccessDecision }>()
  const url = `${o.managementEndpoint.replace(/\/+$/, '')}${CHECK_ACCESS_PATH}`

  async function check(
    principalId: string,
    actions: string[],
    scope: string,
    explain: boolean,
  ): Promise<AccessDecision[]> {
    let res: Response
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await o.getToken()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ principalId, actions, scope, explain }),
      })
    } catch (e) {
      throw new KeylessVerifyError('ERR_KEYLESS_UNAVAILABLE', 'Keyless could not be reached', {
        cause: e,
      })
    }
    if (res.status !== 200) {
      throw new KeylessVerifyError(
        'ERR_KEYLESS_UNAVAILABLE',
        `checkAccess answered ${res.status}: ${await res.text()}`,
      )
    }
    return ((await res.json()) as { value: AccessDecision[] }).value
  }

  return {
    /** True when `principalId` may perform `action` at `scope`. */
    async authorize(principalId: string, action: string, scope: string): Promise<boolean> {
      const key = `${principalId}\n${action.toLowerCase()}\n${scope.toLowerCase()}`
      const hit = cache.get(key)
      if (hit && now() - hit.at < ttl) return hit.decision.allowed
      const [decision] = await check(principalId, [action], scope, false)
      if (!decision)
        throw new KeylessVerifyError('ERR_KEYLESS_UNAVAILABLE', 'checkAccess returned no decision')
      if (cache.size > 10_000) cache.clear()
      cache.set(key, { at: now(), decision })
      return decision.allowed
    },
    /** Decisions with explanations, uncached (for diagnostics). */
    explain: (principalId: string, actions: string[], scope: string) =>
      check(principalId, actions, scope, true),
    invalidate: () => cache.clear(),
  }
}

export type Authorizer = ReturnType<typeof createAuthorizer>
