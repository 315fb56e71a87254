// The Queue data plane: a path-style endpoint per storage account that the real
// QueueServiceClient / QueueClient accept, with RBAC data actions enforced as Azure does and
// messages kept durably in the store.
export { createQueueService, type QueueService } from './service.js'
export { QUEUE_DEFAULTS, type QueueOptions, type QueueServiceOptions } from './options.js'
export { QueueActions, type QueueAction } from './authorize.js'
