// Microsoft.Authorization paths (reference §2, §4): extension resources at any scope,
// `{scope}/providers/Microsoft.Authorization/{collection}[/{name}]`, where the scope is the root
// (`/providers/...`, the tenant form of role definition ids), a subscription, a group, a resource
// or a data scope. SDKs address an item by its full id (`getById`), which is the same path.
import { NotFound } from '../../domain/errors.js'
import { parseScope, type Scope } from '../../domain/resource-id.js'

export const AUTHORIZATION = 'Microsoft.Authorization'

/** Item kinds by lower-cased collection name; `permissions` has no items. */
const COLLECTIONS = {
  roledefinitions: { list: 'roleDefinitions', item: 'roleDefinition' },
  roleassignments: { list: 'roleAssignments', item: 'roleAssignment' },
  denyassignments: { list: 'denyAssignments', item: 'denyAssignment' },
  permissions: { list: 'permissions', item: undefined },
} as const

type Collection = (typeof COLLECTIONS)[keyof typeof COLLECTIONS]
type ListKind = Collection['list']
type ItemKind = NonNullable<Collection['item']>

/** One member per kind, so that `Extract<Target, { kind: K }>` finds each. */
export type AuthorizationTarget =
  | { [K in ListKind]: { kind: K; scope: Scope } }[ListKind]
  | { [K in ItemKind]: { kind: K; scope: Scope; name: string } }[ItemKind]

export type AuthorizationKind = AuthorizationTarget['kind']

function unknownType(type: string): NotFound {
  return new NotFound(
    'InvalidResourceType',
    `The resource type '${type}' could not be found in the namespace '${AUTHORIZATION}'.`,
  )
}

/**
 * Reads the path's segments (no leading empty one) as a Microsoft.Authorization target; undefined
 * when the path does not end in that provider's types. Throws `InvalidResourceType` for a type it
 * does not serve and the domain's `InvalidResourceId` for a malformed scope.
 */
export function parseAuthorizationTarget(segs: readonly string[]): AuthorizationTarget | undefined {
  const lower = segs.map((s) => s.toLowerCase())
  let at = -1
  for (let i = lower.length - 2; i >= 0; i--) {
    if (lower[i] === 'providers' && lower[i + 1] === AUTHORIZATION.toLowerCase()) {
      at = i
      break
    }
  }
  if (at < 0) return undefined
  const rest = segs.slice(at + 2)
  const type = rest[0]
  if (type === undefined) throw unknownType('')
  const collection = COLLECTIONS[type.toLowerCase() as keyof typeof COLLECTIONS]
  if (!collection || rest.length > 2 || (rest.length === 2 && !collection.item)) {
    throw unknownType(rest.join('/'))
  }
  const scope = parseScope('/' + segs.slice(0, at).join('/'))
  if (rest.length === 1) return { kind: collection.list, scope }
  return { kind: collection.item!, scope, name: rest[1]! }
}

/** The id of an item of `collection` at `scope` (`/` gives the tenant form). */
export function authorizationId(scope: Scope | string, collection: ListKind, name: string): string {
  const id = typeof scope === 'string' ? scope : scope.id
  return `${id === '/' ? '' : id}/providers/${AUTHORIZATION}/${collection}/${name}`
}
