// ARM (the management endpoint of a running Keyless) over plain HTTPS with a bearer token, and
// role assignments made through it.
import { randomUUID } from 'node:crypto'
import type { Endpoints } from './keyless.js'
import { https, type HttpResult } from './https.js'

export type ArmCall = (method: string, path: string, body?: unknown) => Promise<HttpResult>

/** Requests to `<managementEndpoint><path>` as the holder of `token`; a `body` is sent as JSON. */
export function arm(
  k: { endpoints: Pick<Endpoints, 'managementEndpoint'>; ca: string },
  token: string,
): ArmCall {
  return (method, path, body) =>
    https(`${k.endpoints.managementEndpoint}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      ca: k.ca,
    })
}

const AUTHZ_API = 'api-version=2022-04-01'

/** Assigns the built-in role `role` (its GUID) to a service principal at `scope`; returns the
 * assignment's ARM id. */
export async function assignRole(
  call: ArmCall,
  subscriptionId: string,
  o: { scope: string; role: string; principalId: string },
): Promise<string> {
  const id = `${o.scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
  const res = await call('PUT', `${id}?${AUTHZ_API}`, {
    properties: {
      roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${o.role}`,
      principalId: o.principalId,
      principalType: 'ServicePrincipal',
    },
  })
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`role assignment PUT: ${res.status} ${res.text}`)
  }
  return id
}

/** Deletes a role assignment by its ARM id. */
export async function unassignRole(call: ArmCall, assignmentId: string): Promise<void> {
  const res = await call('DELETE', `${assignmentId}?${AUTHZ_API}`)
  if (res.status !== 200 && res.status !== 204) {
    throw new Error(`role assignment DELETE: ${res.status} ${res.text}`)
  }
}
