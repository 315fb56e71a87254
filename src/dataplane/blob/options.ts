// What the Blob service takes beyond the data-plane seam, its defaults, and the startup checks
// (a misuse is a TypeError at startup, STYLE §4).
import type { FastifyBaseLogger } from 'fastify'
import type { AuthorizeDataAction, DataPlaneOptions } from '../options.js'

export interface BlobOptions {
  /** The endpoint's TLS certificate and key (PEM). */
  tls: { certPem: string; keyPem: string }
  /** Listen address; default 127.0.0.1. */
  host?: string
  /** Listen port; 0 (the default) picks a free one. */
  port?: number
  /** The URL clients use when it is not `https://<host>:<port>` (a proxy, a host name). */
  publicUrl?: string
  /**
   * Decides a control-plane action at a scope: the container operations
   * (`.../blobServices/containers/read|write|delete`), which Azure checks against the roles'
   * `actions`, not their `dataActions` (Storage Blob Data roles grant them in `actions`).
   */
  authorizeAction: AuthorizeDataAction
  /** Largest blob, in bytes; default 256 MiB. Larger uploads get 413 RequestBodyTooLarge. */
  maxBlobBytes?: number
  /** Extra token audiences to accept besides https://storage.azure.com and the account URL. */
  extraAudiences?: readonly string[]
  /** How often unreferenced content files are collected; default hourly, 0 = only at start. */
  gcIntervalMs?: number
  /** Files younger than this are never collected while running; default one hour. */
  gcGraceMs?: number
  /**
   * Staged blocks of a blob that sees no Put Block for this long are discarded (Azure: one
   * week, https://learn.microsoft.com/rest/api/storageservices/put-block#remarks); default 7 days.
   */
  stagedBlockLifetimeMs?: number
  logger?: FastifyBaseLogger
  /** Used when no logger is given; default `warn`. */
  logLevel?: string
}

export type BlobServiceOptions = DataPlaneOptions & BlobOptions

export const BLOB_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxBlobBytes: 256 * 1024 * 1024,
  gcIntervalMs: 60 * 60 * 1000,
  gcGraceMs: 60 * 60 * 1000,
  stagedBlockLifetimeMs: 7 * 24 * 60 * 60 * 1000,
  logLevel: 'warn',
} as const

export type ResolvedBlobOptions = BlobServiceOptions & {
  host: string
  port: number
  maxBlobBytes: number
  gcIntervalMs: number
  gcGraceMs: number
  stagedBlockLifetimeMs: number
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer of at least ${min}`)
  }
}

export function resolveBlobOptions(o: BlobServiceOptions): ResolvedBlobOptions {
  if (typeof o.authorizeAction !== 'function') {
    throw new TypeError('the blob service needs authorizeAction (container operations)')
  }
  if (typeof o.authorize !== 'function' || typeof o.verifyToken !== 'function') {
    throw new TypeError('the blob service needs verifyToken and authorize')
  }
  if (!o.tls?.certPem || !o.tls?.keyPem) throw new TypeError('the blob service needs tls')
  const r = { ...BLOB_DEFAULTS, ...definedOnly(o) } as ResolvedBlobOptions
  checkInteger('port', r.port, 0)
  checkInteger('maxBlobBytes', r.maxBlobBytes, 1)
  checkInteger('gcIntervalMs', r.gcIntervalMs, 0)
  checkInteger('gcGraceMs', r.gcGraceMs, 0)
  checkInteger('stagedBlockLifetimeMs', r.stagedBlockLifetimeMs, 1)
  if (r.publicUrl !== undefined && !/^https:\/\/[^/]+$/.test(r.publicUrl)) {
    throw new TypeError('publicUrl must be https://host[:port] with no path')
  }
  return r
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
