// GET /v1.0/servicePrincipals/{id} and GET /v1.0/servicePrincipals?$filter=appId eq '{appId}',
// Microsoft Graph-shaped (https://learn.microsoft.com/graph/api/resources/serviceprincipal), so a
// principal behind an identity can be inspected the way it is in Entra.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { PublicUrl } from '../../common/public-url.js'
import type { Directory } from '../../directory/directory.js'
import type { PrincipalView } from '../../directory/views.js'
import { queryParam } from '../paging.js'
import { graphError } from './envelope.js'

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const APP_ID_FILTER = /^\s*appId\s+eq\s+'([^']*)'\s*$/i
// az resolves `--assignee <appId>` with this lambda filter (role/custom.py
// `_resolve_object_id_and_type`); a principal's only service principal name is its appId.
const SPN_FILTER = /^\s*servicePrincipalNames\/any\((\w+)\s*:\s*\1\s+eq\s+'([^']*)'\)\s*$/i

/** The appId a supported `$filter` asks for, or undefined when Keyless does not take it. */
function appIdOfFilter(filter: string): string | undefined {
  return APP_ID_FILTER.exec(filter)?.[1] ?? SPN_FILTER.exec(filter)?.[2]
}

export function servicePrincipalJson(p: PrincipalView) {
  return {
    id: p.objectId,
    appId: p.appId,
    displayName: p.displayName,
    servicePrincipalType: p.servicePrincipalType,
    alternativeNames: [...p.alternativeNames],
    servicePrincipalNames: [p.appId],
    appOwnerOrganizationId: p.tenantId,
    accountEnabled: true,
  }
}

const notFound = (id: string) =>
  graphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  )

export interface ServicePrincipalRoutes {
  directory: Directory
  publicUrl: PublicUrl
}

export function servicePrincipalHandlers(o: ServicePrincipalRoutes) {
  const context = (suffix: string) => `${o.publicUrl()}/v1.0/$metadata#servicePrincipals${suffix}`
  return {
    async get(request: FastifyRequest, reply: FastifyReply) {
      const id = (request.params as { id: string }).id
      if (!GUID.test(id)) {
        throw graphError(400, 'Request_BadRequest', `Invalid object identifier '${id}'.`)
      }
      const p = await o.directory.getPrincipal(id)
      if (!p) throw notFound(id)
      return reply.send({ '@odata.context': context('/$entity'), ...servicePrincipalJson(p) })
    },
    async list(request: FastifyRequest, reply: FastifyReply) {
      const filter = queryParam(request.query, '$filter')
      const appId = typeof filter === 'string' ? appIdOfFilter(filter) : undefined
      if (appId === undefined) {
        throw graphError(
          400,
          'Request_UnsupportedQuery',
          "Unsupported query: Keyless lists service principals only with $filter=appId eq '{appId}' or servicePrincipalNames/any(c:c eq '{appId}').",
        )
      }
      const p = GUID.test(appId) ? await o.directory.findPrincipalByAppId(appId) : undefined
      return reply.send({
        '@odata.context': context(''),
        value: p ? [servicePrincipalJson(p)] : [],
      })
    },
  }
}
