// What every operation handler receives: the parsed target and the request's settled facts.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { PublicUrl } from '../common/public-url.js'
import type { Authz } from '../authz/index.js'
import type { Directory } from '../directory/directory.js'
import type { Caller } from './authenticate.js'
import type { Target } from './target.js'
import type { DataPlaneLinks } from './options.js'

export interface OperationContext<T extends Target = Target> {
  request: FastifyRequest
  reply: FastifyReply
  target: T
  apiVersion: string
  /** The normalized request path (decoded, `//` collapsed). */
  path: string
  directory: Directory
  authz: Authz
  /** The authenticated principal, already authorized for the operation. */
  caller: Caller
  publicUrl: PublicUrl
  dataPlanes?: DataPlaneLinks
}

export type Operation<K extends Target['kind'] = Target['kind']> = (
  c: OperationContext<Extract<Target, { kind: K }>>,
) => Promise<unknown>
