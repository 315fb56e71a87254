// Keyless as an OIDC issuer for other clouds (docs/federation.md, "Out"). Tokens for the
// federation audiences (`api://AzureADTokenExchange` by default; `sts.amazonaws.com` or a GCP
// pool's audience when configured) carry the public issuer URL when one is configured, so that
// Entra ID, AWS or GCP fetch discovery and JWKS from wherever the operator published them
// (`keyless oidc export`); every other token keeps the v1 issuer that Keyless's own verifiers
// and the Azure SDKs expect. `sub` is the identity's object id in both cases.
import type { KeyTimes, RotationPolicy } from './key-rotation.js'

export interface IssuerSettings {
  /** The public issuer URL, or null: the v1 issuer `<authority>/<tenantId>/` is used. */
  publicIssuer: string | null
  /** Audiences whose tokens carry the public issuer. */
  audiences: readonly string[]
}

const trimSlash = (s: string) => s.replace(/\/+$/, '')

/** The issuer a token for `audience` carries. */
export function issuerForAudience(s: IssuerSettings, v1Issuer: string, audience: string): string {
  if (s.publicIssuer === null) return v1Issuer
  const aud = trimSlash(audience)
  return s.audiences.some((a) => trimSlash(a) === aud) ? s.publicIssuer : v1Issuer
}

/** The issuer a federation relying party is given: the public one, else the v1 issuer. */
export const federationIssuer = (s: IssuerSettings, v1Issuer: string): string =>
  s.publicIssuer ?? v1Issuer

/**
 * The discovery document for a static host: what Entra ID, AWS IAM and GCP read (`issuer`,
 * `jwks_uri`, the algorithms), with `jwks_uri` beside it at `<issuer>/discovery/keys`, the path
 * Keyless serves its own JWKS at, so a published copy and the live server look alike.
 */
export function staticDiscovery(issuer: string, algorithm: string) {
  return {
    issuer,
    jwks_uri: `${trimSlash(issuer)}/discovery/keys`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [algorithm],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'oid', 'tid', 'appid'],
  }
}

/** The files `keyless oidc export` writes, relative to the directory published at the issuer. */
export const EXPORT_FILES = {
  discovery: '.well-known/openid-configuration',
  jwks: 'discovery/keys',
} as const

/**
 * When the published JWKS must be replaced: a key must be in the published copy before it signs.
 * A successor key is created `prePublishMs` before it activates; export between its creation and
 * its activation. With no successor yet, the window opens when the current key's successor is
 * created (its retirement minus the pre-publication) and closes at the retirement.
 */
export function nextExportWindow(
  keys: readonly KeyTimes[],
  policy: Pick<RotationPolicy, 'prePublishMs'>,
  now: number,
): { after: number; before: number } | undefined {
  const upcoming = keys
    .filter((k) => k.activateAt > now && k.createdAt <= now)
    .sort((a, b) => a.activateAt - b.activateAt)[0]
  if (upcoming) return { after: now, before: upcoming.activateAt }
  const current = keys
    .filter((k) => k.activateAt <= now && now < k.retireAt)
    .sort((a, b) => b.activateAt - a.activateAt)[0]
  if (!current) return undefined
  return { after: current.retireAt - policy.prePublishMs, before: current.retireAt }
}
