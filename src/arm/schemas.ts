// Request body schemas, compiled by Fastify's validator (its Ajv, per route context) and checked
// per operation: the router serves many operations from one wildcard route, so the schema is
// chosen once the target is known. Failures are ARM's 400 `InvalidRequestContent`. Limits are
// Azure's: 50 tags, names up to 512 and values up to 256 characters
// (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations).
import type { FastifyRequest } from 'fastify'
import { ArmErrors } from './errors.js'

const tags = {
  type: 'object',
  maxProperties: 50,
  propertyNames: { minLength: 1, maxLength: 512 },
  additionalProperties: { type: 'string', maxLength: 256 },
} as const

const location = { type: 'string', minLength: 1, maxLength: 100 } as const
const nullableString = { type: ['string', 'null'], maxLength: 1024 } as const
const nullableObject = { type: ['object', 'null'] } as const

export const resourceGroupPutSchema = {
  type: 'object',
  required: ['location'],
  properties: { location, tags, managedBy: nullableString },
} as const

export const resourceGroupPatchSchema = {
  type: 'object',
  properties: { tags, managedBy: nullableString },
} as const

export const resourcePutSchema = {
  type: 'object',
  required: ['location'],
  properties: {
    location,
    tags,
    kind: nullableString,
    properties: nullableObject,
    identity: nullableObject,
  },
} as const

export const resourcePatchSchema = {
  type: 'object',
  properties: { tags, kind: nullableString, properties: nullableObject, identity: nullableObject },
} as const

const isolationScope = { enum: ['None', 'Regional'] } as const

/** Microsoft.ManagedIdentity/userAssignedIdentities (reference §3.2). */
export const userAssignedIdentityPutSchema = {
  type: 'object',
  required: ['location'],
  properties: {
    location,
    tags,
    properties: { type: ['object', 'null'], properties: { isolationScope } },
  },
} as const

export const userAssignedIdentityPatchSchema = {
  type: 'object',
  properties: {
    tags,
    properties: { type: ['object', 'null'], properties: { isolationScope } },
  },
} as const

interface AjvError {
  instancePath?: string
  message?: string
  params?: Record<string, unknown>
}

function describe(e: AjvError | undefined): { message: string; target: string | undefined } {
  const path = (e?.instancePath ?? '').split('/').filter(Boolean).join('.')
  const missing = e?.params?.missingProperty
  const target = missing ? [path, missing].filter(Boolean).join('.') : path || undefined
  const subject = path ? `'${path}'` : 'the request body'
  return {
    message: `the request content is invalid: ${subject} ${e?.message ?? 'is invalid'}`,
    target,
  }
}

/** Checks the parsed body against `schema` (coercing as Fastify does) and returns it. */
export function validateBody<T>(request: FastifyRequest, schema: object): T {
  const validate = request.compileValidationSchema(schema, 'body')
  if (validate(request.body) !== true) {
    const { message, target } = describe((validate.errors as AjvError[] | null)?.[0])
    throw ArmErrors.invalidContent(message, target === undefined ? undefined : { target })
  }
  return request.body as T
}
