// One HTTPS listener of the vault data plane: a Fastify app whose every request runs the same
// visible pipeline, then the route's operation:
//   headers → challenge (no token: 401 first) → vault → token → api-version → route:
//   name → RBAC (data action at the secret's or key's scope) → operation → Key Vault JSON.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { VerifiedClaims } from '../../common/access-token.js'
import { authenticate, challengeHeader, vaultAudiences } from './authenticate.js'
import { authorizeVaultAction } from './authorize.js'
import { clientErrorResponder } from '../../common/framework-errors.js'
import { createVaultErrorHandler, vaultErrorBody, VaultErrors } from './errors.js'
import type { VaultServiceOptions } from './options.js'
import { apiVersionOf } from './requests.js'
import { KEY_ROUTES } from './key-routes.js'
import { ROUTES, type Operation } from './routes.js'
import type { SecretContext } from './secrets.js'
import { objectScope, type VaultTarget } from './vaults.js'

/** Sent on every response, as Key Vault does; clients log it. */
export const SERVICE_VERSION = '1.9.0.0'
/** Backups carry every version of a secret; values are limited to 25 KB each. */
const BODY_LIMIT = 8 * 1024 * 1024

export interface VaultAppOptions {
  o: VaultServiceOptions
  /** The challenge resource (`https://vault.azure.net` or `https://<hostSuffix>:<port>`); read
   * per request, since the shared listener's port is known only once it listens. */
  readonly resource: string
  /** The vault a request is for; undefined when none is served there. */
  resolve: (request: FastifyRequest) => Promise<VaultTarget | undefined>
  logger?: FastifyBaseLogger
}

interface RequestState {
  vault: VaultTarget
  caller: VerifiedClaims
  apiVersion: string
}

export async function buildVaultApp(x: VaultAppOptions): Promise<FastifyInstance> {
  const { o } = x
  const app = Fastify({
    https: { key: o.tls.keyPem, cert: o.tls.certPem },
    ...(x.logger ? { loggerInstance: x.logger } : { logger: false }),
    genReqId: () => randomUUID(),
    bodyLimit: BODY_LIMIT,
    // While closing, requests in flight still get the vault's answer, not Fastify's bare 503.
    return503OnClosing: false,
    clientErrorHandler: clientErrorResponder(() => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify(
        vaultErrorBody(VaultErrors.badParameter('The request could not be parsed.')),
      ),
    })),
    // Errors the router raises before any route (a URL it cannot decode) use the vault's table.
    frameworkErrors: (err, req, reply) =>
      void createVaultErrorHandler(() => challengeHeader(o.authority(), o.tenantId, x.resource))(
        err,
        req,
        reply,
      ),
    routerOptions: {
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: 1000,
    },
  }) as unknown as FastifyInstance
  const states = new WeakMap<FastifyRequest, RequestState>()
  const challenge = () => challengeHeader(o.authority(), o.tenantId, x.resource)
  const c: SecretContext = {
    store: o.store,
    key: o.keys.forPurpose('vault-secrets'),
    materialKey: o.keys.forPurpose('vault-keys'),
    clock: o.clock,
  }

  app.setErrorHandler(createVaultErrorHandler(challenge))
  app.setNotFoundHandler((request) => {
    throw VaultErrors.noRoute(request.method, request.url.split('?')[0] ?? '')
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-ms-request-id', request.id)
    reply.header('x-ms-keyvault-service-version', SERVICE_VERSION)
    const authorization = request.headers.authorization
    if (authorization === undefined || authorization === '') throw VaultErrors.missingToken()
    const vault = await x.resolve(request)
    const audiences = vaultAudiences(x.resource, vault?.uri)
    const caller = await authenticate(authorization, audiences, x.resource, o)
    if (vault === undefined)
      throw VaultErrors.vaultNotFound((request.headers.host ?? '').slice(0, 255))
    reply.header('x-ms-keyvault-region', vault.location)
    states.set(request, { vault, caller, apiVersion: apiVersionOf(request.url) })
  })

  for (const route of [...ROUTES, ...KEY_ROUTES]) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const s = states.get(request)!
        const url = request.url
        const op: Operation = {
          c,
          ...s,
          params: request.params as Record<string, string>,
          query: new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''),
          body: request.body,
        }
        const name = route.object ? await route.object(op) : undefined
        const scope = name === undefined ? s.vault.id : objectScope(s.vault, route.collection, name)
        await authorizeVaultAction(o, s.caller, s.vault, route.action, scope)
        const result = await route.run(op)
        reply.code(result.status ?? 200)
        if (result.body === undefined) return reply.send()
        return reply.type('application/json; charset=utf-8').send(result.body)
      },
    })
  }
  return app
}
