// Long-running operation results. Keyless finishes every operation before it answers, so the
// one asynchronous-looking operation, deleting a resource group, returns 202 with a `Location`
// that reports completion at once: arm-resources polls it and accepts 200, never 204
// (reference §2, "DELETE resource group").
import { ArmErrors } from '../errors.js'
import type { Operation } from '../context.js'
import { encodePath } from '../paging.js'

interface OperationToken {
  op: string
  id: string
}

export function operationToken(op: string, id: string): string {
  return Buffer.from(JSON.stringify({ op, id } satisfies OperationToken), 'utf8').toString(
    'base64url',
  )
}

function readToken(token: string): OperationToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as OperationToken
    if (typeof t.op === 'string' && typeof t.id === 'string') return t
  } catch {
    // fall through
  }
  throw ArmErrors.operationNotFound()
}

export function operationResultUrl(
  base: string,
  subscriptionId: string,
  token: string,
  apiVersion: string,
): string {
  const path = encodePath(`/subscriptions/${subscriptionId}/operationresults/${token}`)
  return `${base}${path}?api-version=${encodeURIComponent(apiVersion)}`
}

export const getOperationResult: Operation<'operationResult'> = async ({ reply, target }) => {
  readToken(target.token)
  return reply.code(200).send()
}
