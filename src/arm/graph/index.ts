// The directory read API in Microsoft Graph's shape, its own encapsulated plugin (Graph has its
// own error format) sharing the control plane's authentication and authorization.
//
// Who may read service principals: as in Entra for app-only callers. Every Keyless principal is
// a service principal (managed identities, applications, the operator), and in Entra a service
// principal reads the directory only once granted it (the Directory Readers role, or Graph's
// Application.Read.All); default member permissions are for users. Keyless grants it through its
// one authorization system: the check is Entra's own permission for it, tenant-wide (scope `/`),
// which RBAC grants with Owner's `*` or Reader's `*/read` there, so Reader at `/` plays Directory
// Readers. Azure RBAC has no directory actions of its own (a `Microsoft.Graph/...` action would
// match no built-in role's intent).
import type { FastifyInstance } from 'fastify'
import type { Clock } from '../../domain/clock.js'
import type { PublicUrl } from '../../common/public-url.js'
import type { Directory } from '../../directory/directory.js'
import type { Authenticate, Caller } from '../authenticate.js'
import { authorize, type CheckAccess } from '../authorize.js'
import { setRequestIds } from '../request-ids.js'
import { createGraphErrorRenderer } from './envelope.js'
import { servicePrincipalHandlers } from './service-principals.js'
import { directoryObjectHandlers } from './directory-objects.js'

export interface GraphPluginOptions {
  directory: Directory
  clock: Clock
  publicUrl: PublicUrl
  authenticate: Authenticate
  checkAccess: CheckAccess
}

/** Entra's permission for reading service principals (Directory Readers has it); its casing is
 * Entra's, matching is case-insensitive. */
const READ_PRINCIPALS = 'microsoft.directory/servicePrincipals/standard/read'

export async function graphPlugin(app: FastifyInstance, o: GraphPluginOptions): Promise<void> {
  app.setErrorHandler(createGraphErrorRenderer(o.clock))
  app.addHook('onRequest', setRequestIds)
  app.addHook('onRequest', async (request, reply) => {
    const caller: Caller = await o.authenticate(request)
    await authorize(
      caller,
      { primary: { action: READ_PRINCIPALS, scope: '/' }, linked: [] },
      o.checkAccess,
    )
    const clientRequestId = request.headers['client-request-id']
    void reply.header('request-id', String(request.id))
    if (typeof clientRequestId === 'string') void reply.header('client-request-id', clientRequestId)
  })
  const sp = servicePrincipalHandlers(o)
  // Graph paths are case-insensitive; clients write `servicePrincipals`.
  for (const name of ['servicePrincipals', 'serviceprincipals']) {
    app.get(`/v1.0/${name}`, sp.list)
    app.get(`/v1.0/${name}/:id`, sp.get)
  }
  const objects = directoryObjectHandlers(o)
  for (const name of ['directoryObjects', 'directoryobjects']) {
    app.post(`/v1.0/${name}/getByIds`, objects.getByIds)
  }
}
