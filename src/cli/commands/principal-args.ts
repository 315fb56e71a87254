// `--assignee` / `--principal`: a principal's object id, its app id (a managed identity's
// clientId), or the resource id of a user-assigned identity or of a resource with a system
// identity. A GUID is looked up in the Graph read API (by object id, then by app id) as
// `az role assignment create --assignee` does; a GUID Graph does not know is passed on as is,
// for the server to judge. A resource id is read through ARM.
import { parseResourceId } from '../../domain/resource-id.js'
import { lookupResourceType } from '../../domain/resource-types.js'
import { isGuid } from '../../domain/rbac/role-ids.js'
import { API_VERSIONS } from '../arm-paths.js'
import type { ArmResource, GraphServicePrincipal } from '../columns.js'
import type { Context } from '../command.js'
import { CliError, EXIT, usageError } from '../errors.js'
import { odataString } from './authorization-args.js'

export interface Principal {
  principalId: string
  /** Known when Graph or ARM vouched for it: every Keyless principal is a service principal. */
  principalType?: 'ServicePrincipal'
}

const notFound = (err: unknown) => err instanceof CliError && err.exitCode === EXIT.notFound

async function byGuid(ctx: Context, id: string): Promise<Principal> {
  const sp = await ctx.client
    .request<GraphServicePrincipal>('GET', `/v1.0/servicePrincipals/${encodeURIComponent(id)}`)
    .catch((err: unknown) => (notFound(err) ? undefined : Promise.reject(err)))
  if (sp) return { principalId: sp.id, principalType: 'ServicePrincipal' }
  const [byAppId] = await ctx.client.list<GraphServicePrincipal>('/v1.0/servicePrincipals', {
    query: { $filter: `appId eq ${odataString(id)}` },
  })
  if (byAppId) return { principalId: byAppId.id, principalType: 'ServicePrincipal' }
  return { principalId: id.toLowerCase() }
}

async function byResourceId(ctx: Context, raw: string): Promise<Principal> {
  let rid
  try {
    rid = parseResourceId(raw)
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : String(err))
  }
  const info = rid.type === undefined ? undefined : lookupResourceType(rid.type)
  const apiVersion = info && API_VERSIONS[info.type]
  if (!apiVersion) {
    throw usageError(
      `'${raw}' is not the id of a user-assigned identity or of a resource with a managed identity`,
    )
  }
  const path = rid.id
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/')
  const resource = await ctx.client.request<ArmResource>('GET', path, { apiVersion })
  const principalId = resource.identity?.principalId ?? resource.properties?.principalId
  if (typeof principalId !== 'string' || principalId === '') {
    throw new CliError(
      EXIT.notFound,
      `'${resource.name}' has no system-assigned identity: name one of its user-assigned identities instead`,
      'PrincipalNotFound',
    )
  }
  return { principalId, principalType: 'ServicePrincipal' }
}

export async function resolvePrincipal(ctx: Context, value: string): Promise<Principal> {
  const v = value.trim()
  if (v.startsWith('/')) return byResourceId(ctx, v)
  if (isGuid(v)) return byGuid(ctx, v)
  throw usageError(
    `'${value}' is not a principal: give an object id, an app id (client id) or the resource id of an identity`,
  )
}
