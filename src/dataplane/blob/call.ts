// One request on its way through the pipeline (plugin.ts): what it addresses, who is calling,
// and the service-wide parts the handlers use.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StorageAccountRef } from '../../store/blob-container-store.js'
import type { BlobContainerRow } from '../../store/schema.js'
import type { Authorizer } from './authorize.js'
import type { ContentFiles } from './content-files.js'
import { BlobErrors } from './errors.js'
import type { ResolvedBlobOptions } from './options.js'
import type { BlobTarget } from './target.js'

export interface Service {
  o: ResolvedBlobOptions
  files: ContentFiles
  authorizer: Authorizer
  /** `https://host:port` as clients reach it. */
  endpoint(): string
}

export interface Account extends StorageAccountRef {
  name: string
}

export interface Call {
  svc: Service
  req: FastifyRequest
  reply: FastifyReply
  target: BlobTarget
  query: ReadonlyMap<string, string>
  account: Account
  principalId: string
  now: number
}

export interface BlobCall extends Call {
  target: Required<BlobTarget>
}

/** The account URL with a trailing slash, as listings' `ServiceEndpoint` carries it. */
export function serviceEndpoint(call: Call): string {
  return `${call.svc.endpoint()}/${call.account.name}/`
}

export function containerName(call: Call): string {
  const name = call.target.container
  if (name === undefined) throw BlobErrors.invalidUri()
  return name
}

/** The addressed container, or 404 ContainerNotFound. */
export async function requireContainer(call: Call): Promise<BlobContainerRow> {
  const row = await call.svc.o.store.blobContainers.fetch(call.account.key, containerName(call))
  if (row === undefined) throw BlobErrors.containerNotFound()
  return row
}

/** Leases are not supported, so a request naming a lease id names one that does not exist. */
export function refuseLeaseId(call: Call, on: 'blob' | 'container'): void {
  if (call.req.headers['x-ms-lease-id'] !== undefined) throw BlobErrors.leaseNotPresent(on)
}

export function header(call: Call, name: string): string | undefined {
  const v = call.req.headers[name]
  return Array.isArray(v) ? v.join(',') : v
}
