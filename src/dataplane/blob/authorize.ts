// Every operation's RBAC check ([D-STAUTH] https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-calling-data-operations),
// decided live at each request. Container operations name control-plane actions, which Azure
// checks against the roles' `actions` (the Storage Blob Data roles grant them there); blob
// operations name data actions. Creating a blob needs `write`, or `add/action` when the blob
// does not exist yet. A refusal is 403 AuthorizationPermissionMismatch.
import type { DataDecision } from '../options.js'
import { blobScope, containerScope, serviceScope } from './names.js'
import type { ResolvedBlobOptions } from './options.js'
import type { BlobTarget } from './target.js'

const SB = 'Microsoft.Storage/storageAccounts/blobServices'

export const BlobActions = {
  containersRead: `${SB}/containers/read`,
  containersWrite: `${SB}/containers/write`,
  containersDelete: `${SB}/containers/delete`,
  blobsRead: `${SB}/containers/blobs/read`,
  blobsWrite: `${SB}/containers/blobs/write`,
  blobsDelete: `${SB}/containers/blobs/delete`,
  blobsAdd: `${SB}/containers/blobs/add/action`,
} as const

export type BlobAction = (typeof BlobActions)[keyof typeof BlobActions]

const CONTROL_ACTIONS: ReadonlySet<string> = new Set([
  BlobActions.containersRead,
  BlobActions.containersWrite,
  BlobActions.containersDelete,
])

/** The scope an operation on `target` is checked at: the blob, the container, or the service. */
export function scopeOf(accountId: string, target: BlobTarget): string {
  if (target.container === undefined) return serviceScope(accountId)
  if (target.blob === undefined) return containerScope(accountId, target.container)
  return blobScope(accountId, target.container, target.blob)
}

export interface Authorizer {
  /** The live decision for `action` at `scope`. */
  decide(principalId: string, action: BlobAction, scope: string): DataDecision
}

export function createAuthorizer(
  o: Pick<ResolvedBlobOptions, 'authorize' | 'authorizeAction'>,
): Authorizer {
  return {
    decide(principalId, action, scope) {
      const check = CONTROL_ACTIONS.has(action) ? o.authorizeAction : o.authorize
      return check(principalId, action, scope)
    },
  }
}
