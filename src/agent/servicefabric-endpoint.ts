// Service Fabric's managed identity protocol (api-version 2019-07-01-preview), as its docs give
// it (how-to-managed-identity-service-fabric-app-code): `GET IDENTITY_ENDPOINT?api-version=…
// &resource=…` over HTTPS with the run's IDENTITY_HEADER in a `Secret` header; the body
// `{token_type, access_token, expires_on (a number), resource}`; errors as
// `{"error":{"correlationId","code","message"}}`, an unknown secret or identity 404.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { KeylessError } from '../domain/errors.js'
import { EndpointErrors, reasonOf, type EndpointErrorReason } from './endpoint-errors.js'
import type { IdentityHeaders } from './identity-headers.js'
import type { Caller } from './token-endpoint.js'

export const SERVICE_FABRIC_API_VERSION = '2019-07-01-preview'

const NOT_FOUND = {
  status: 404,
  code: 'ManagedIdentityNotFound',
  message: 'Managed identity not found for the specified application host.',
}
const API_VERSION = {
  status: 400,
  code: 'InvalidApiVersion',
  message: `The api-version '' is not supported. Supported version is '${SERVICE_FABRIC_API_VERSION}'.`,
}

/** Service Fabric's codes for the agent's errors that it documents; others keep the agent's. */
const TABLE: Partial<
  Record<EndpointErrorReason, { status: number; code: string; message: string }>
> = {
  missingIdentityHeader: {
    status: 400,
    code: 'SecretHeaderNotFound',
    message: 'Secret is not found in the request headers.',
  },
  wrongIdentityHeader: NOT_FOUND,
  identityNotFound: NOT_FOUND,
  missingResource: {
    status: 400,
    code: 'ArgumentNullOrEmpty',
    message: "The parameter 'resource' should not be null or empty string.",
  },
  missingApiVersion: API_VERSION,
  unsupportedApiVersion: API_VERSION,
  internal: { status: 500, code: 'InternalServerError', message: 'An error occurred.' },
}

export function renderServiceFabricError(e: KeylessError): { status: number; body: object } {
  const reason = reasonOf(e)
  const known = reason === undefined ? undefined : TABLE[reason]
  const { status, code, message } = known ?? e
  const shown =
    reason === 'unsupportedApiVersion'
      ? message.replace("''", `'${String(e.extra?.apiVersion ?? '')}'`)
      : message
  return { status, body: { error: { correlationId: randomUUID(), code, message: shown } } }
}

/** The run's own `Secret` header on the run's own listener: another run's header is unknown. */
export function serviceFabricAuthenticate(
  headers: Pick<IdentityHeaders, 'authenticateServiceFabric'>,
  runId: string,
) {
  return (req: IncomingMessage): Caller => {
    const caller = headers.authenticateServiceFabric(req)
    if (caller.runId !== runId) throw EndpointErrors.wrongIdentityHeader('Secret')
    return caller
  }
}
