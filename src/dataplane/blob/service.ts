// The Blob service on its own HTTPS port (storage-listener.ts): path-style URLs
// (`https://127.0.0.1:<port>/<account>/...`) need the whole path, which the main server's routes
// already use. start() collects content files that no row names (all of them at once on SQLite,
// where this process is the only writer; past the grace period on PostgreSQL, where replicas may
// share the data directory), then listens and collects periodically.
import { join } from 'node:path'
import { createStorageListener } from '../storage-listener.js'
import { createAuthorizer } from './authorize.js'
import type { Service } from './call.js'
import { ContentFiles } from './content-files.js'
import { collectGarbage } from './gc.js'
import { resolveBlobOptions, type BlobServiceOptions } from './options.js'
import { blobPlugin } from './plugin.js'

export interface BlobService {
  start(): Promise<void>
  stop(): Promise<void>
  /** `https://host:port`, once started. */
  readonly endpoint: string
  /** The URL clients give `BlobServiceClient`: `<endpoint>/<account>`. */
  accountUrl(accountName: string): string
  /** Runs the collector now (tests, operators); returns how many files it removed. */
  collectGarbage(graceMs?: number): Promise<number>
}

export function createBlobService(options: BlobServiceOptions): BlobService {
  const o = resolveBlobOptions(options)
  const files = new ContentFiles(join(o.dataDir, 'blobs'), o.keys.forPurpose('blob-content'))
  const svc: Service = {
    o,
    files,
    authorizer: createAuthorizer(o),
    endpoint: () => listener.endpoint(),
  }
  const collect = (graceMs: number) =>
    collectGarbage(files, o.store, {
      now: o.clock.now(),
      graceMs,
      stagedBlockLifetimeMs: o.stagedBlockLifetimeMs,
    })
  const listener = createStorageListener({
    ...o,
    name: 'blob',
    register: async (app) => {
      await app.register(blobPlugin, svc)
    },
    async beforeListen() {
      await files.init()
      // Alone on its database no upload can be in flight at start; replicas may have some.
      await collect(o.store.capabilities.isSharedByReplicas ? o.gcGraceMs : 0)
    },
    every: {
      intervalMs: o.gcIntervalMs,
      run: () => collect(o.gcGraceMs),
      failure: 'blob garbage collection failed',
    },
  })

  return {
    get endpoint() {
      return svc.endpoint()
    },
    accountUrl: (name) => `${svc.endpoint()}/${name}`,
    collectGarbage: (graceMs = o.gcGraceMs) => collect(graceMs),

    start: () => listener.start(),
    stop: () => listener.stop(),
  }
}
