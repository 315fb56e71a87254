// One wildcard route per method serves every path under /subscriptions (plus `//…`, which
// SDKs produce from a scope with a leading slash, and `/providers/…`, Microsoft.Authorization at
// the root scope), and each request runs the same visible pipeline: parse the target →
// api-version → type → operation → authorize → run.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { PublicUrl } from '../common/public-url.js'
import type { Authz } from '../authz/index.js'
import type { Directory } from '../directory/directory.js'
import { requiredAccess } from './actions.js'
import { assertApiVersionSupported, readApiVersion } from './api-version.js'
import type { Caller } from './authenticate.js'
import { authorize, type CheckAccess } from './authorize.js'
import { hostPlacementCheck, type MachineIdOf } from './host-placement.js'
import { ArmErrors } from './errors.js'
import { METHODS, operationFor } from './operations.js'
import { apiFamilyOf, requestedFamilyOf } from './resolve-type.js'
import { normalizePath, parseTarget } from './target.js'
import type { DataPlaneLinks } from './options.js'

export interface RouterOptions {
  directory: Directory
  authz: Authz
  publicUrl: PublicUrl
  checkAccess: CheckAccess
  callerOf: (request: FastifyRequest) => Caller
  dataPlanes?: DataPlaneLinks
  machineIdOf: MachineIdOf
}

export const ROUTES = [
  '/tenants',
  '/subscriptions',
  '/subscriptions/*',
  '/providers/*',
  '//*',
] as const

export function registerRoutes(app: FastifyInstance, o: RouterOptions): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = normalizePath(request.url)
    const target = parseTarget(path)
    const apiVersion = readApiVersion(request.query, requestedFamilyOf(target))
    assertApiVersionSupported(apiVersion, apiFamilyOf(target, apiVersion))
    const operation = operationFor(target.kind, request.method)
    if (!operation) throw ArmErrors.methodNotAllowed(request.method)
    const caller = o.callerOf(request)
    const required = requiredAccess(target, request.method, request.body)
    const placement = await hostPlacementCheck(target, request.method, request.body, o)
    if (placement) required.linked.push(placement)
    await authorize(caller, required, o.checkAccess)
    return operation({
      request,
      reply,
      target,
      apiVersion,
      path,
      directory: o.directory,
      authz: o.authz,
      caller,
      publicUrl: o.publicUrl,
      dataPlanes: o.dataPlanes,
    })
  }
  for (const url of ROUTES) {
    // HEAD is an operation of its own (204/404), not GET without a body.
    app.route({ method: [...METHODS], url, exposeHeadRoute: false, handler })
  }
}
