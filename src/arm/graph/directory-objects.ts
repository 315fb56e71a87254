// POST /v1.0/directoryObjects/getByIds (https://learn.microsoft.com/graph/api/directoryobject-getbyids):
// az resolves an object id given as `--assignee` and names the principals of `az role
// assignment list` through it. Every Keyless principal is a service principal; ids not found
// are left out, as Graph does, and a `types` list without servicePrincipal finds nothing.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { PublicUrl } from '../../common/public-url.js'
import type { Directory } from '../../directory/directory.js'
import { graphError } from './envelope.js'
import { GUID, servicePrincipalJson } from './service-principals.js'

/** Graph's own limit on one request. */
const MAX_IDS = 1000
const MATCHING_TYPES = new Set(['serviceprincipal', 'directoryobject'])

function badRequest(message: string) {
  return graphError(400, 'Request_BadRequest', message)
}

function readBody(body: unknown): { ids: string[]; types?: string[] } {
  const b = body as { ids?: unknown; types?: unknown } | null
  if (!b || typeof b !== 'object' || !Array.isArray(b.ids)) {
    throw badRequest("The request body must be an object with an 'ids' array.")
  }
  if (b.ids.length > MAX_IDS) throw badRequest(`At most ${MAX_IDS} ids may be requested at once.`)
  for (const id of b.ids) {
    if (typeof id !== 'string' || !GUID.test(id)) {
      throw badRequest(`Invalid object identifier '${String(id)}'.`)
    }
  }
  if (b.types === undefined) return { ids: b.ids as string[] }
  if (!Array.isArray(b.types) || b.types.some((t) => typeof t !== 'string')) {
    throw badRequest("'types' must be an array of strings.")
  }
  return { ids: b.ids as string[], types: b.types as string[] }
}

export function directoryObjectHandlers(o: { directory: Directory; publicUrl: PublicUrl }) {
  return {
    async getByIds(request: FastifyRequest, reply: FastifyReply) {
      const { ids, types } = readBody(request.body)
      const wanted = types === undefined || types.some((t) => MATCHING_TYPES.has(t.toLowerCase()))
      const found = wanted
        ? await Promise.all([...new Set(ids.map((id) => id.toLowerCase()))].map((id) =>
            o.directory.getPrincipal(id))) // prettier-ignore
        : []
      return reply.send({
        '@odata.context': `${o.publicUrl()}/v1.0/$metadata#directoryObjects`,
        value: found
          .filter((p) => p !== undefined)
          .map((p) => ({
            '@odata.type': '#microsoft.graph.servicePrincipal',
            ...servicePrincipalJson(p),
          })),
      })
    },
  }
}
