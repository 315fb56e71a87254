// The records of the two append-only logs, with Azure's field names where Azure has them: the
// sign-in log follows Microsoft Graph's `signIn` resource (managed-identity and service-principal
// sign-ins: `servicePrincipalId`, `appId`, `resourceId`, `resourceDisplayName`,
// `managedServiceIdentity`, `status.errorCode`, `correlationId`, `createdDateTime`,
// https://learn.microsoft.com/graph/api/resources/signin), the activity log Azure Monitor's
// `EventData` (https://learn.microsoft.com/rest/api/monitor/activity-logs/list).

/** Where a sign-in was decided: the token service, or an agent answering from its cache. */
export type SignInSource = 'server' | 'agent'

export interface SignInStatus {
  /** 0 when a token was issued, else the AADSTS number of the refusal. */
  errorCode: number
  /** The refusal's message (error_description). */
  failureReason?: string
  /** The OAuth `error` value of a refusal (`invalid_client`, …). */
  additionalDetails?: string
}

export interface SignInRecord {
  id: string
  createdDateTime: string
  /** The request id of the token request (also in the server's request log). */
  correlationId: string
  source: SignInSource
  /** `oauth2/v1`, `oauth2/v2` at the server; `imds`, `appservice`, `arc` at an agent. */
  protocol: string
  /** The client id: of the application, or of the managed identity issued for. */
  appId?: string
  /** The object id of the principal the token is for. */
  servicePrincipalId?: string
  managedServiceIdentity?: {
    msiType: 'systemAssigned' | 'userAssigned'
    /** The identity's resource (user-assigned) or the compute resource (system-assigned). */
    associatedResourceId: string
  }
  /** The compute resource that asked (the agent's caller), for managed identities. */
  callerResourceId?: string
  /** The audience asked for; Entra names the resource app, Keyless has its URI only. */
  resourceId?: string
  resourceDisplayName?: string
  /** The agent host that asked (managed identities) or that served from its cache. */
  hostId?: string
  ipAddress?: string
  /** The issued token's `uti`/`jti`. */
  uniqueTokenIdentifier?: string
  latencyMs: number
  status: SignInStatus
  /** Agent records only: the calling process where the agent knows it, and cache use. */
  process?: { pid?: number; uid?: number; exe?: string }
  isCacheHit?: boolean
  /**
   * Agent records only: how many identical cache hits this record stands for (absent: one).
   * Like Entra's aggregated non-interactive sign-ins, an agent folds the cache hits of one
   * connection for one identity and audience within a flush interval into one record; the
   * record's time is the first hit's and its latency the slowest.
   */
  requestCount?: number
}

export type SignInResult = 'success' | 'failure'

export const signInResult = (r: Pick<SignInRecord, 'status'>): SignInResult =>
  r.status.errorCode === 0 ? 'success' : 'failure'

/** Azure's activity-log statuses for a finished operation. */
export type ActivityStatus = 'Succeeded' | 'Failed' | 'Accepted'

export interface ActivityRecord {
  eventDataId: string
  correlationId: string
  eventTimestamp: string
  /** The principal (object id) that made the request, absent when it was not authenticated. */
  caller?: string
  callerAppId?: string
  /** The Azure action, e.g. `Microsoft.Compute/virtualMachines/write`. */
  operationName: string
  /** The resource id the request addressed (Azure's `resourceId`, `$filter` `resourceUri`). */
  scope: string
  /** The scope the action was authorized at (Azure's `authorization.scope`), when it differs. */
  authorizationScope?: string
  subscriptionId?: string
  resourceGroupName?: string
  resourceProviderName?: string
  resourceType?: string
  status: ActivityStatus
  httpStatusCode: number
  httpMethod: string
  clientIpAddress?: string
  /** The ARM request id (`x-ms-request-id`). */
  requestId: string
  /** The error's ARM code and message for a failed operation. */
  errorCode?: string
  errorMessage?: string
}

/** The activity status of a finished request with this HTTP status. */
export function activityStatus(httpStatusCode: number): ActivityStatus {
  if (httpStatusCode === 202) return 'Accepted'
  return httpStatusCode < 400 ? 'Succeeded' : 'Failed'
}
