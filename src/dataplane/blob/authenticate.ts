// Bearer tokens only (reference §8 "Auth"). Without a token: 401 with the challenge the SDK's
// tenant-challenge policy reads (space-separated, unquoted). Shared keys and SAS: 403, as an
// account with key access disabled answers. A Bearer token with `x-ms-version` before
// 2017-11-09: 403 AuthenticationFailed. A token that fails verification: 401
// InvalidAuthenticationInfo with Azure's AuthenticationErrorDetail wording and the challenge,
// so the SDK may fetch a fresh token once ([ISS] Azure/azure-sdk-for-net#42859).
import type { IncomingHttpHeaders } from 'node:http'
import type { VerifiedClaims } from '../../common/access-token.js'
import { authenticateCaller, type CallerFailure } from '../caller.js'
import type { DataPlaneOptions } from '../options.js'
import { BlobErrors } from './errors.js'

export const STORAGE_RESOURCE = 'https://storage.azure.com'
/** The first version that accepts OAuth ([D-STAUTH]). */
export const OAUTH_MIN_VERSION = '2017-11-09'
/** What storage-blob 12.32.0 sends, and what Keyless answers when the request names none. */
export const DEFAULT_VERSION = '2026-04-06'

const VERSION = /^\d{4}-\d{2}-\d{2}$/

/** The request's `x-ms-version` when well-formed; throws 400 InvalidHeaderValue otherwise. */
export function requestVersion(headers: IncomingHttpHeaders): string | undefined {
  const v = headers['x-ms-version']
  if (v === undefined) return undefined
  const value = Array.isArray(v) ? (v[0] ?? '') : v
  if (!VERSION.test(value) || Number.isNaN(Date.parse(value))) {
    throw BlobErrors.invalidHeader('x-ms-version', value)
  }
  return value
}

export function challenge(authority: string, tenantId: string): string {
  const base = authority.replace(/\/+$/, '')
  return `Bearer authorization_uri=${base}/${tenantId}/oauth2/authorize resource_id=${STORAGE_RESOURCE}`
}

/** Audiences a storage account accepts: Azure's resource (any trailing slash) and its URL. */
export function blobAudiences(accountUrl: string, extra: readonly string[] = []): string[] {
  return [STORAGE_RESOURCE, `${STORAGE_RESOURCE}/`, accountUrl, `${accountUrl}/`, ...extra]
}

const DETAILS: Record<Exclude<CallerFailure, 'missing'>, string> = {
  malformed: 'The token is malformed and could not be parsed.',
  claims: 'The token claims are invalid: a required claim is missing or its value is not valid.',
  signature: 'Signature validation failed. The signing key is unknown or the signature is invalid.',
  expired: 'Lifetime validation failed. The token is expired.',
  'not-yet-valid': 'Lifetime validation failed. The token is not yet valid.',
  issuer: 'Issuer validation failed. Issuer did not match.',
  audience: 'Audience validation failed. Audience did not match.',
  'principal-deleted': 'The principal of the token does not exist in the directory.',
  revoked: 'The token was revoked.',
}

export type AuthenticateOptions = Pick<
  DataPlaneOptions,
  'verifyToken' | 'revocationOf' | 'authority' | 'tenantId'
>

export async function authenticate(
  headers: IncomingHttpHeaders,
  query: ReadonlyMap<string, string>,
  audiences: readonly string[],
  o: AuthenticateOptions,
): Promise<VerifiedClaims> {
  const authorization = headers.authorization
  const challengeValue = () => challenge(o.authority(), o.tenantId)
  if (/^\s*SharedKey(Lite)?\s/i.test(authorization ?? '') || query.has('sig')) {
    throw BlobErrors.keyBasedAuthentication()
  }
  if (authorization === undefined || authorization.trim() === '') {
    throw BlobErrors.noAuthentication(challengeValue())
  }
  const version = requestVersion(headers)
  if (
    /^\s*Bearer\s/i.test(authorization) &&
    (version === undefined || version < OAUTH_MIN_VERSION)
  ) {
    throw BlobErrors.authenticationFailed(
      'Authentication scheme Bearer is not supported in this version.',
    )
  }
  const result = await authenticateCaller(authorization, audiences, o)
  if (!result.ok) {
    const detail = result.failure === 'missing' ? DETAILS.malformed : DETAILS[result.failure]
    throw BlobErrors.invalidAuthentication(challengeValue(), detail)
  }
  // One tenant per installation: a token naming another is refused even if it verified.
  if (result.claims.tid !== o.tenantId) {
    throw BlobErrors.invalidAuthentication(challengeValue(), DETAILS.issuer)
  }
  return result.claims
}
