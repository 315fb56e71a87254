// How a request body becomes the directory's input, per resource type: the generic mapping
// serves compute and plain resources; a provider with its own shape brings its own mapping.
import type { Tags } from '../../directory/views.js'
import { USER_ASSIGNED_IDENTITIES } from '../../domain/resource-types.js'
import { userAssignedIdentityBody } from '../managed-identity/user-assigned.js'
import { resourcePatchSchema, resourcePutSchema } from '../schemas.js'
import { writableProperties } from '../views.js'
import type { BodyMapping } from '../resource-body.js'

interface Body {
  location: string
  tags?: Tags
  kind?: string | null
  properties?: Record<string, unknown> | null
  identity?: unknown
}

const genericBody: BodyMapping = {
  putSchema: resourcePutSchema,
  patchSchema: resourcePatchSchema,
  toInput(raw) {
    const b = raw as Body
    return {
      location: b.location,
      tags: b.tags,
      kind: b.kind ?? null,
      properties: writableProperties(b.properties),
      identity: b.identity,
    }
  },
  toPatch(raw) {
    const b = raw as Partial<Body>
    return {
      tags: b.tags,
      ...(b.properties ? { properties: writableProperties(b.properties) } : {}),
      ...(b.identity !== undefined ? { identity: b.identity } : {}),
    }
  },
}

const BY_TYPE: Record<string, BodyMapping> = {
  [USER_ASSIGNED_IDENTITIES.toLowerCase()]: userAssignedIdentityBody,
}

export function bodyMappingFor(type: string): BodyMapping {
  return BY_TYPE[type.toLowerCase()] ?? genericBody
}
