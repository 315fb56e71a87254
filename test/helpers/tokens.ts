// Tokens from the token endpoint of a running Keyless (`<authorityHost>/<tenantId>/oauth2/v2.0/
// token`), by the client-credentials grant, as an application with a secret gets them.
import type { Admin, Endpoints } from './keyless.js'
import { form, https } from './https.js'
import { tokenEndpointPath } from '../../src/common/agent-protocol.js'

/** An installation whose token endpoint is asked: a `keyless up` process or an in-process server
 * with the CA its TLS chains to. */
export interface TokenIssuer {
  endpoints: Pick<Endpoints, 'authorityHost' | 'tenantId'>
  ca: string
}

/** A token for `audience` (its `/.default` scope; a trailing `/` is dropped) for any client. */
export async function clientToken(
  at: TokenIssuer,
  client: Pick<Admin, 'clientId' | 'clientSecret'>,
  audience: string,
): Promise<string> {
  const res = await https(
    `${at.endpoints.authorityHost}${tokenEndpointPath(at.endpoints.tenantId)}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        scope: `${audience.replace(/\/$/, '')}/.default`,
      }),
      ca: at.ca,
    },
  )
  if (res.status !== 200) throw new Error(`token for ${audience}: ${res.status} ${res.text}`)
  return res.json().access_token as string
}

/** A token of the operator (the admin credential of endpoints.json) for `audience`. */
export function appToken(k: TokenIssuer & { admin: Admin }, audience: string): Promise<string> {
  return clientToken(k, k.admin, audience)
}

/** The operator's token for the management API (the `managementEndpoint` audience). */
export function operatorToken(
  k: TokenIssuer & { admin: Admin; endpoints: Pick<Endpoints, 'managementEndpoint'> },
): Promise<string> {
  return appToken(k, k.endpoints.managementEndpoint)
}
