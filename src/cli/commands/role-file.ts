// `role definition create --file role.json`: the Azure CLI's role JSON (`Name`, `Description`,
// `Actions`, `NotActions`, `DataActions`, `NotDataActions`, `AssignableScopes`; keys in any
// first-letter case, as `az role definition create` accepts), ARM's wire shape
// (`{name?, properties: {roleName, permissions, assignableScopes, …}}`), or the flattened shape
// `az role definition list` prints (`roleName`, `permissions` at the top level). The server
// validates permissions; this only finds the fields.
import { readFileSync } from 'node:fs'
import { isGuid } from '../../domain/rbac/role-ids.js'
import { usageError } from '../errors.js'

export interface RoleFile {
  /** The GUID the file names, if any (ARM and flattened shapes only). */
  guid?: string
  properties: {
    roleName: string
    description: string
    type: 'CustomRole'
    permissions: unknown[]
    assignableScopes?: unknown[]
  }
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `NotActions` → `notActions`, one level deep. */
function camelKeys(o: Json): Json {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v]),
  )
}

function read(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (err) {
    throw usageError(`cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw usageError(`'${path}' is not JSON: ${(err as Error).message}`)
  }
}

export function parseRoleFile(path: string): RoleFile {
  const raw = read(path)
  if (!isObject(raw)) throw usageError(`'${path}' must hold a JSON object (a role definition)`)
  const top = camelKeys(raw)
  const nested = isObject(top.properties)
  const flat = nested || 'roleName' in top || 'permissions' in top
  const p = nested ? camelKeys(top.properties as Json) : top
  const roleName = flat ? p.roleName : (top.name ?? top.roleName)
  if (typeof roleName !== 'string' || roleName.trim() === '') {
    throw usageError(
      `'${path}' has no role name: set "Name" (Azure CLI) or "properties.roleName" (ARM)`,
    )
  }
  const permissions = flat
    ? p.permissions
    : [
        {
          actions: top.actions ?? [],
          notActions: top.notActions ?? [],
          dataActions: top.dataActions ?? [],
          notDataActions: top.notDataActions ?? [],
        },
      ]
  if (!Array.isArray(permissions)) throw usageError(`'${path}': permissions must be an array`)
  const scopes = p.assignableScopes
  if (scopes !== undefined && !Array.isArray(scopes)) {
    throw usageError(`'${path}': assignableScopes must be an array of scopes`)
  }
  const guid = flat && isGuid(top.name) ? top.name.toLowerCase() : undefined
  return {
    guid,
    properties: {
      roleName,
      description: typeof p.description === 'string' ? p.description : '',
      type: 'CustomRole',
      permissions,
      assignableScopes: scopes,
    },
  }
}
