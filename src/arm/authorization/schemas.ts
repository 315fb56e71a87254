// Request bodies of Microsoft.Authorization (reference §4), checked for shape only: the RBAC
// engine validates the content (GUIDs, action strings, scopes) with Azure's own codes.
import type { RoleAssignmentInput } from '../../authz/index.js'

const nullableString = { type: ['string', 'null'], maxLength: 8192 } as const
const principals = {
  type: 'array',
  maxItems: 1000,
  items: {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string' }, type: nullableString },
  },
} as const

export const roleDefinitionPutSchema = {
  type: 'object',
  required: ['properties'],
  properties: { properties: { type: 'object' } },
} as const

export const roleAssignmentPutSchema = {
  type: 'object',
  required: ['properties'],
  properties: {
    properties: {
      type: 'object',
      required: ['roleDefinitionId', 'principalId'],
      properties: {
        roleDefinitionId: { type: 'string', minLength: 1, maxLength: 1024 },
        principalId: { type: 'string', minLength: 1, maxLength: 64 },
        principalType: nullableString,
        description: nullableString,
        condition: nullableString,
        conditionVersion: nullableString,
        delegatedManagedIdentityResourceId: nullableString,
      },
    },
  },
} as const

export interface RoleAssignmentBody {
  properties: RoleAssignmentInput
}

export const denyAssignmentPutSchema = {
  type: 'object',
  required: ['properties'],
  properties: {
    properties: {
      type: 'object',
      required: ['denyAssignmentName', 'permissions', 'principals'],
      properties: {
        denyAssignmentName: { type: 'string', minLength: 1, maxLength: 512 },
        description: nullableString,
        permissions: { type: 'array', minItems: 1, maxItems: 100 },
        principals: { ...principals, minItems: 1 },
        excludePrincipals: principals,
        doNotApplyToChildScopes: { type: ['boolean', 'null'] },
      },
    },
  },
} as const

export interface DenyAssignmentBody {
  properties: {
    denyAssignmentName: string
    description?: string | null
    permissions: unknown[]
    principals: { id: string; type?: string | null }[]
    excludePrincipals?: { id: string; type?: string | null }[]
    doNotApplyToChildScopes?: boolean | null
  }
}
