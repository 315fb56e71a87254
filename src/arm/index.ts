// The control plane as an encapsulated Fastify plugin: ARM-compatible REST for subscriptions,
// resource groups, compute resources with identities, user-assigned identities and
// Microsoft.Authorization (roles, assignments, deny assignments, permissions), Keyless's
// checkAccess API for users' services, plus the Graph read API for service principals. Its own
// body parser, error renderer and hooks apply to its routes only (fastify
// docs/Reference/Encapsulation.md).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DENY_ASSIGNMENTS } from './actions.js'
import { createAuthenticator, type Caller } from './authenticate.js'
import { reserveForOperator, type CheckAccess } from './authorize.js'
import { registerCheckAccess } from './authorization/check-access.js'
import { renderArmError } from './envelope.js'
import { graphPlugin } from './graph/index.js'
import { acceptJson } from './json-body.js'
import type { ArmPluginOptions } from './options.js'
import { setRequestIds } from './request-ids.js'
import { registerActivityLog } from './activity-log.js'
import { registerActivityLogs } from './insights/activity-logs.js'
import { registerRoutes } from './router.js'
import { metadataEndpoints } from './metadata-endpoints.js'

export type { ArmPluginOptions } from './options.js'

/** Graph clients ask for tokens for Microsoft Graph; Keyless's CLI uses its management token. */
const GRAPH_AUDIENCES = ['https://graph.microsoft.com', 'https://graph.microsoft.com/']

/** Writing deny assignments is Keyless's own extension, the operator's alone (see
 * authorization/deny-assignments.ts). */
const OPERATOR_ACTIONS = [`${DENY_ASSIGNMENTS}/write`, `${DENY_ASSIGNMENTS}/delete`]

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
  // Every operation is decided by the RBAC engine on its live index (a removed assignment
  // counts from the next request), the operator's included (Owner at `/`).
  const checkAccess: CheckAccess = reserveForOperator(
    o.operatorObjectId,
    OPERATOR_ACTIONS,
    (caller, check) => o.authz.checkAccess(caller.objectId, check.action, check.scope),
  )
  const authOptions = {
    verifyToken: o.verifyToken,
    revocationOf: o.revocationOf,
    authority: o.publicUrl,
    tenantId: o.directory.tenantId,
    clock: o.clock,
  }

  await app.register(async (arm) => {
    acceptJson(arm)
    arm.setErrorHandler(renderArmError)
    arm.addHook('onRequest', setRequestIds)
    registerActivityLog(arm, {
      store: o.activity,
      clock: o.clock,
      callerOf: (request) => callers.get(request),
    })
    const authenticate = createAuthenticator({ ...authOptions, audiences })
    arm.addHook('onRequest', async (request) => {
      callers.set(request, await authenticate(request))
    })
    registerRoutes(arm, {
      directory: o.directory,
      authz: o.authz,
      publicUrl: o.publicUrl,
      checkAccess,
      callerOf,
      dataPlanes: o.dataPlanes,
      machineIdOf: o.machineIdOf,
    })
    registerCheckAccess(arm, { authz: o.authz, checkAccess, callerOf })
    registerActivityLogs(arm, {
      store: o.activity,
      tenantId: o.directory.tenantId,
      publicUrl: o.publicUrl,
      checkAccess,
      callerOf,
    })
  })

  // Outside the authenticated scope: Azure serves the cloud's metadata to anyone.
  await app.register(metadataEndpoints, {
    publicUrl: o.publicUrl,
    audiences: o.audiences,
    ...(o.vaultHostSuffix !== undefined && { vaultHostSuffix: o.vaultHostSuffix }),
  })

  await app.register(graphPlugin, {
    directory: o.directory,
    clock: o.clock,
    publicUrl: o.publicUrl,
    checkAccess,
    authenticate: createAuthenticator({
      ...authOptions,
      audiences: () => [...GRAPH_AUDIENCES, ...audiences()],
    }),
  })
}
