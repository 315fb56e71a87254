// Every ARM response names the request (`x-ms-request-id`) and the correlation it belongs to,
// the caller's `x-ms-correlation-request-id` when it sent a GUID, else a new one.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function setRequestIds(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const sent = request.headers['x-ms-correlation-request-id']
  const correlation = typeof sent === 'string' && GUID.test(sent) ? sent : randomUUID()
  void reply.header('x-ms-request-id', String(request.id))
  void reply.header('x-ms-correlation-request-id', correlation)
}
