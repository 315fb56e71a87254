// The challenge handshake and token check (reference §7 "Challenge auth"). A client's first
// request carries no token: it gets 401 with `WWW-Authenticate` naming the authority and the
// resource to ask a token for, before anything else is looked at. Bad tokens get 401 with
// Key Vault's AKV messages and the same challenge, so the client may fetch a fresh token once.
import type { VerifiedClaims } from '../../common/access-token.js'
import { authenticateCaller, type CallerFailure } from '../caller.js'
import type { DataPlaneOptions } from '../options.js'
import { VaultErrors } from './errors.js'

export const KEY_VAULT_RESOURCE = 'https://vault.azure.net'
/** Key Vault's first-party application id, which Entra puts in `aud` of some tokens. */
export const KEY_VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093'

/**
 * `https://<hostSuffix>[:<port>]` when vaults are served by host name, else Azure's own resource.
 * The port is part of it because the Python and Go clients compare `host:port` (netloc, URL.Host)
 * of the vault URL with the resource's, while JS, .NET and Java compare host names only: with
 * the port both kinds pass for `https://<vault>.<hostSuffix>:<port>/`.
 */
export function challengeResource(hostSuffix: string | undefined, port?: number): string {
  if (hostSuffix === undefined) return KEY_VAULT_RESOURCE
  return port === undefined || port === 443 || port === 0
    ? `https://${hostSuffix}`
    : `https://${hostSuffix}:${port}`
}

export function challengeHeader(authority: string, tenantId: string, resource: string): string {
  return `Bearer authorization="${authority.replace(/\/+$/, '')}/${tenantId}", resource="${resource}"`
}

/** Audiences a vault accepts: Azure's (any trailing slash), its app id, the challenge resource
 * (with and without its port: clients that build the resource from the suffix, as
 * `az rest --resource https://<suffix>` does, leave the port out) and the vault's own URL. */
export function vaultAudiences(resource: string, vaultUri: string | undefined): string[] {
  const out = [KEY_VAULT_RESOURCE, KEY_VAULT_APP_ID, resource, resource.replace(/:\d+$/, '')]
  if (vaultUri !== undefined) out.push(vaultUri)
  return [...new Set(out)]
}

function failureMessage(
  failure: CallerFailure,
  message: string,
  expected: { resource: string; issuer: string; actual?: string },
): string {
  switch (failure) {
    case 'audience':
      return `AKV10022: Invalid audience. Expected ${expected.resource}, found: ${expected.actual ?? ''}.`
    case 'issuer':
      return `AKV10032: Invalid issuer. Expected one of ${expected.issuer}, found ${expected.actual ?? ''}.`
    case 'expired':
      return 'AKV10000: Invalid token: the token has expired.'
    case 'not-yet-valid':
      return 'AKV10000: Invalid token: the token is not valid yet (nbf is in the future).'
    case 'signature':
      return 'AKV10000: Invalid token: the signature could not be verified with any published key.'
    case 'principal-deleted':
      return 'AKV10000: Invalid token: the principal of the token no longer exists.'
    case 'revoked':
      return 'AKV10000: Invalid token: the token was revoked.'
    default:
      return `AKV10000: Invalid token: ${message}.`
  }
}

/** The caller's verified claims, or a 401 `Unauthorized` error to throw. */
export async function authenticate(
  authorization: string | undefined,
  audiences: readonly string[],
  resource: string,
  o: Pick<DataPlaneOptions, 'verifyToken' | 'revocationOf' | 'authority' | 'tenantId'>,
): Promise<VerifiedClaims> {
  const result = await authenticateCaller(authorization, audiences, o)
  if (result.ok) return result.claims
  if (result.failure === 'missing' || result.failure === 'malformed') {
    throw VaultErrors.missingToken()
  }
  const actual = actualClaim(result.failure, authorization)
  throw VaultErrors.invalidToken(
    failureMessage(result.failure, result.message, {
      resource,
      issuer: `${o.authority().replace(/\/+$/, '')}/${o.tenantId}/`,
      actual,
    }),
  )
}

/** The token's own `aud` or `iss`, for the message (read unverified: it is only echoed). */
function actualClaim(failure: CallerFailure, authorization: string | undefined) {
  if (failure !== 'audience' && failure !== 'issuer') return undefined
  try {
    const payload = (authorization ?? '').trim().split(/\s+/)[1]?.split('.')[1] ?? ''
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      aud?: unknown
      iss?: unknown
    }
    const value = failure === 'audience' ? claims.aud : claims.iss
    return typeof value === 'string' ? value.slice(0, 200) : undefined
  } catch {
    return undefined
  }
}
