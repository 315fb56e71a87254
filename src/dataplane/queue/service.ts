// The Queue service on its own HTTPS port, path-style like the Blob service
// (`https://127.0.0.1:<port>/<account>/<queue>`). Expired messages are invisible to every
// operation at once; a timer deletes their rows now and then.
import { createStorageListener } from '../storage-listener.js'
import { createQueueAuthorizer } from './authorize.js'
import type { QueueService as Service } from './call.js'
import { resolveQueueOptions, type QueueServiceOptions } from './options.js'
import { queuePlugin } from './plugin.js'

export interface QueueService {
  start(): Promise<void>
  stop(): Promise<void>
  /** `https://host:port`, once started. */
  readonly endpoint: string
  /** The URL clients give `QueueServiceClient`: `<endpoint>/<account>`. */
  accountUrl(accountName: string): string
}

export function createQueueService(options: QueueServiceOptions): QueueService {
  const o = resolveQueueOptions(options)
  const svc: Service = {
    o,
    authorizer: createQueueAuthorizer(o),
    endpoint: () => listener.endpoint(),
  }
  const listener = createStorageListener({
    ...o,
    name: 'queue',
    register: async (app) => {
      await app.register(queuePlugin, svc)
    },
    every: {
      intervalMs: o.pruneIntervalMs,
      run: () => o.store.queues.pruneExpired(o.clock.now()),
      failure: 'queue message pruning failed',
    },
  })

  return {
    get endpoint() {
      return svc.endpoint()
    },
    accountUrl: (name) => `${svc.endpoint()}/${name}`,
    start: () => listener.start(),
    stop: () => listener.stop(),
  }
}
