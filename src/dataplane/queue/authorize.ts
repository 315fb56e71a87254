// Every Queue operation's RBAC check ([D-STAUTH] https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-queue-service-operations),
// decided live at each request. Queue operations (list, create, delete, metadata) name
// control-plane actions, which Azure checks against the roles' `actions` (the Storage Queue Data
// roles grant them there); message operations name data actions. Some operations accept either
// of two grants ("process/action or (delete and read)"), so an operation lists alternatives,
// each a set of actions that must all be allowed. A refusal is 403 AuthorizationPermissionMismatch.
import type { DataDecision, AuthorizeDataAction } from '../options.js'

const QS = 'Microsoft.Storage/storageAccounts/queueServices'

export const QueueActions = {
  queuesRead: `${QS}/queues/read`,
  queuesWrite: `${QS}/queues/write`,
  queuesDelete: `${QS}/queues/delete`,
  messagesRead: `${QS}/queues/messages/read`,
  messagesWrite: `${QS}/queues/messages/write`,
  messagesDelete: `${QS}/queues/messages/delete`,
  messagesAdd: `${QS}/queues/messages/add/action`,
  messagesProcess: `${QS}/queues/messages/process/action`,
} as const

export type QueueAction = (typeof QueueActions)[keyof typeof QueueActions]

/** Any one of the inner lists, all of whose actions are allowed, grants the operation. */
export type Grant = readonly (readonly QueueAction[])[]

const CONTROL_ACTIONS: ReadonlySet<string> = new Set([
  QueueActions.queuesRead,
  QueueActions.queuesWrite,
  QueueActions.queuesDelete,
])

/** The scope at which the queues of an account are listed. */
export function queueServiceScope(accountId: string): string {
  return `${accountId}/queueServices/default`
}

/** The RBAC scope of a queue; queue names are always valid scope segments. */
export function queueScope(accountId: string, queue: string): string {
  return `${queueServiceScope(accountId)}/queues/${queue}`
}

export interface QueueAuthorizer {
  /** Allowed when one alternative of `grant` is allowed in full; else the first refusal. */
  decide(principalId: string, grant: Grant, scope: string): DataDecision & { action: string }
}

export function createQueueAuthorizer(o: {
  authorize: AuthorizeDataAction
  authorizeAction: AuthorizeDataAction
}): QueueAuthorizer {
  const one = (principalId: string, action: QueueAction, scope: string) =>
    (CONTROL_ACTIONS.has(action) ? o.authorizeAction : o.authorize)(principalId, action, scope)
  return {
    decide(principalId, grant, scope) {
      let refusal: (DataDecision & { action: string }) | undefined
      for (const actions of grant) {
        let allowed: DataDecision | undefined
        for (const action of actions) {
          const d = one(principalId, action, scope)
          if (!d.allowed) {
            refusal ??= { ...d, action }
            allowed = undefined
            break
          }
          allowed = d
        }
        if (allowed) return { ...allowed, action: actions.join(' and ') }
      }
      return refusal ?? { allowed: false, reason: 'DeniedWithNoValidRBAC', action: '' }
    },
  }
}
