// OIDC discovery (v1 and v2 documents) and JWKS. MSAL reads `issuer`, `authorization_endpoint`,
// `token_endpoint` and `jwks_uri`, and requires `issuer` on the authority's scheme and
// host:port (identity-protocols.md §7.2, §9). Tokens are v1, so resource servers verify
// against the v1 issuer `<authority>/<tid>/`.
import type { FastifyInstance } from 'fastify'
import type { KeyRing } from './key-ring.js'
import type { TenantGuard } from './tenant.js'

export interface DiscoveryOptions {
  authority: () => string
  tenant: TenantGuard
  keyRing: KeyRing
  algorithm: string
}

export function v1Issuer(authority: string, tenantId: string): string {
  return `${authority}/${tenantId}/`
}

export function registerDiscovery(app: FastifyInstance, o: DiscoveryOptions): void {
  const doc = (tenantId: string, v2: boolean) => {
    const base = `${o.authority()}/${tenantId}`
    const suffix = v2 ? '/v2.0' : ''
    return {
      issuer: v2 ? `${base}/v2.0` : v1Issuer(o.authority(), tenantId),
      authorization_endpoint: `${base}/oauth2${suffix}/authorize`,
      token_endpoint: `${base}/oauth2${suffix}/token`,
      jwks_uri: `${base}/discovery${suffix}/keys`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'client_secret_basic',
        'private_key_jwt',
      ],
      grant_types_supported: ['client_credentials'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: [o.algorithm],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: null,
      cloud_instance_name: 'keyless',
    }
  }
  const cache = { 'cache-control': 'public, max-age=300' }
  app.get<{ Params: { tenant: string } }>(
    '/:tenant/v2.0/.well-known/openid-configuration',
    async (req, reply) => reply.headers(cache).send(doc(o.tenant.resolve(req.params.tenant), true)),
  )
  app.get<{ Params: { tenant: string } }>(
    '/:tenant/.well-known/openid-configuration',
    async (req, reply) =>
      reply.headers(cache).send(doc(o.tenant.resolve(req.params.tenant), false)),
  )
  // The AD FS authority (`<base>/adfs`, domain/cloud-metadata.ts). MSAL fetches this document
  // without asking the public cloud's instance discovery about the host (msal authority.py:
  // tenant `adfs` is "known to the developer"), reads its authorization and token endpoints and
  // takes the tenant from the token endpoint's path: the installation's v2 document serves.
  app.get('/adfs/.well-known/openid-configuration', async (_req, reply) =>
    reply.headers(cache).send(doc(o.tenant.tenantId, true)),
  )
  for (const path of ['/:tenant/discovery/v2.0/keys', '/:tenant/discovery/keys']) {
    app.get<{ Params: { tenant: string } }>(path, async (req, reply) => {
      o.tenant.resolve(req.params.tenant)
      return reply.headers(cache).send(o.keyRing.jwks())
    })
  }
}
