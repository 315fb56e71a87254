// The control plane as an encapsulated Fastify plugin: ARM-compatible REST for subscriptions,
// resource groups, compute resources with identities and user-assigned identities, plus the
// Graph read API for service principals. Its own body parser, error renderer and hooks apply
// to its routes only (fastify docs/Reference/Encapsulation.md).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createAuthenticator, type Caller } from './authenticate.js'
import type { CheckAccess } from './authorize.js'
import { renderArmError } from './envelope.js'
import { graphPlugin } from './graph/index.js'
import { acceptJson } from './json-body.js'
import type { ArmPluginOptions } from './options.js'
import { setRequestIds } from './request-ids.js'
import { registerRoutes } from './router.js'

export type { ArmPluginOptions } from './options.js'

/** Graph clients ask for tokens for Microsoft Graph; Keyless's CLI uses its management token. */
const GRAPH_AUDIENCES = ['https://graph.microsoft.com', 'https://graph.microsoft.com/']

export async function armPlugin(app: FastifyInstance, o: ArmPluginOptions): Promise<void> {
  if (typeof o.operatorObjectId !== 'string' || o.operatorObjectId === '') {
    throw new TypeError('armPlugin needs operatorObjectId')
  }
  const audiences = () => [...o.audiences, o.publicUrl(), `${o.publicUrl()}/`]
  const callers = new WeakMap<FastifyRequest, Caller>()
  const callerOf = (request: FastifyRequest) => {
    const caller = callers.get(request)
    if (!caller) throw new TypeError('request reached an operation unauthenticated')
    return caller
  }
  // Every operation is decided by the RBAC engine, the operator's included (Owner at `/`).
  const checkAccess: CheckAccess = (caller, check) =>
    o.authz.checkAccess(caller.objectId, check.action, check.scope)
  const authOptions = {
    verifyToken: o.verifyToken,
    authority: o.publicUrl,
    tenantId: o.directory.tenantId,
    clock: o.clock,
  }

  await app.register(async (arm) => {
    acceptJson(arm)
    arm.setErrorHandler(renderArmError)
    arm.addHook('onRequest', setRequestIds)
    const authenticate = createAuthenticator({ ...authOptions, audiences })
    arm.addHook('onRequest', async (request) => {
      callers.set(request, await authenticate(request))
    })
    registerRoutes(arm, {
      directory: o.directory,
      publicUrl: o.publicUrl,
      checkAccess,
      callerOf,
      dataPlanes: o.dataPlanes,
    })
  })

  await app.register(graphPlugin, {
    directory: o.directory,
    publicUrl: o.publicUrl,
    checkAccess,
    authenticate: createAuthenticator({
      ...authOptions,
      audiences: () => [...GRAPH_AUDIENCES, ...audiences()],
    }),
  })
}
