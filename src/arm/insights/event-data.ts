// An activity-log entry in Azure Monitor's `EventData` shape, as `@azure/arm-monitor` reads it
// (models/activityLogsApi: localizable strings as `{value, localizedValue}`, `id` ending in the
// event's .NET ticks, as Azure's ids do).
import type { ActivityRecord } from '../../domain/log-records.js'

const localizable = (value: string) => ({ value, localizedValue: value })

// .NET ticks (100 ns since 0001-01-01) of a time in epoch ms.
const ticks = (ms: number) => (BigInt(ms) * 10_000n + 621_355_968_000_000_000n).toString()

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'NoContent',
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
}

export function eventData(r: ActivityRecord, tenantId: string) {
  const at = Date.parse(r.eventTimestamp)
  const subStatus = STATUS_TEXT[r.httpStatusCode] ?? String(r.httpStatusCode)
  return {
    authorization: { action: r.operationName, scope: r.authorizationScope ?? r.scope },
    caller: r.caller,
    channels: 'Operation',
    claims: {
      ...(r.caller && {
        'http://schemas.microsoft.com/identity/claims/objectidentifier': r.caller,
      }),
      ...(r.callerAppId && { appid: r.callerAppId }),
    },
    correlationId: r.correlationId,
    description: '',
    eventDataId: r.eventDataId,
    eventName: localizable('EndRequest'),
    category: localizable('Administrative'),
    httpRequest: {
      clientRequestId: r.requestId,
      clientIpAddress: r.clientIpAddress,
      method: r.httpMethod,
    },
    id: `${r.scope}/events/${r.eventDataId}/ticks/${ticks(at)}`,
    level: r.status === 'Failed' ? 'Error' : 'Informational',
    resourceGroupName: r.resourceGroupName,
    ...(r.resourceProviderName && {
      resourceProviderName: localizable(r.resourceProviderName),
    }),
    resourceId: r.scope,
    ...(r.resourceType && { resourceType: localizable(r.resourceType) }),
    operationId: r.correlationId,
    operationName: localizable(r.operationName),
    properties: {
      statusCode: subStatus,
      serviceRequestId: r.requestId,
      ...(r.errorCode && {
        statusMessage: JSON.stringify({ error: { code: r.errorCode, message: r.errorMessage } }),
      }),
    },
    status: localizable(r.status),
    subStatus: {
      value: subStatus,
      localizedValue: `${subStatus} (HTTP Status Code: ${r.httpStatusCode})`,
    },
    eventTimestamp: r.eventTimestamp,
    submissionTimestamp: r.eventTimestamp,
    subscriptionId: r.subscriptionId,
    tenantId,
  }
}
