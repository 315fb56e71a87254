// Reading a token request: one function per check, in the order Entra reports problems.
import { OAuthErrors } from '../common/oauth-error.js'
import type { FormBody } from '../common/form-body.js'
import { audienceFromScope, isResourceUri } from '../domain/token-claims.js'

export type { TokenEndpointVersion as TokenVersion } from '../common/agent-protocol.js'
import type { TokenEndpointVersion as TokenVersion } from '../common/agent-protocol.js'

export interface TokenRequest {
  clientId: string
  clientSecret?: string
  clientAssertion?: string
  clientAssertionType?: string
  /** The audience of the token to issue. */
  resource: string
  version: TokenVersion
  /** Every parameter, for grant-specific extensions. */
  params: FormBody
}

/** The one value of a parameter; duplicates are rejected, absence is `undefined`. */
export function single(body: FormBody, name: string): string | undefined {
  const values = body[name]
  if (!values) return undefined
  if (values.length > 1) throw OAuthErrors.duplicatedParameter(name)
  return values[0]
}

function required(body: FormBody, name: string): string {
  const v = single(body, name)
  if (v === undefined || v === '') throw OAuthErrors.missingParameter(name)
  return v
}

/** HTTP Basic client authentication (client_secret_basic, RFC 6749 §2.3.1). */
function basicCredentials(
  authorization: string | undefined,
): { id: string; secret: string } | undefined {
  if (!authorization?.toLowerCase().startsWith('basic ')) return undefined
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8')
  const i = decoded.indexOf(':')
  if (i < 0) return undefined
  return {
    id: decodeURIComponent(decoded.slice(0, i)),
    secret: decodeURIComponent(decoded.slice(i + 1)),
  }
}

export function readTokenRequest(
  body: FormBody | undefined,
  authorization: string | undefined,
  version: TokenVersion,
): TokenRequest {
  if (!body || typeof body !== 'object') throw OAuthErrors.missingParameter('grant_type')
  for (const name of Object.keys(body)) single(body, name)
  const grant = required(body, 'grant_type')
  if (grant !== 'client_credentials') throw OAuthErrors.unsupportedGrantType(grant)

  const basic = basicCredentials(authorization)
  const bodySecret = single(body, 'client_secret')
  const assertion = single(body, 'client_assertion')
  if ([basic, bodySecret, assertion].filter((x) => x !== undefined).length > 1) {
    throw OAuthErrors.conflictingClientAuth()
  }
  const clientId = basic?.id ?? required(body, 'client_id')
  if (basic && single(body, 'client_id') !== undefined && single(body, 'client_id') !== basic.id) {
    throw OAuthErrors.conflictingClientAuth()
  }
  // No credential in the request is left to client authentication: the TLS connection may
  // carry one (tls_client_auth).
  const clientSecret = basic?.secret ?? bodySecret

  let resource: string
  if (version === 'v2') {
    const scope = required(body, 'scope')
    const aud = audienceFromScope(scope)
    if (!aud) throw OAuthErrors.invalidScope(scope)
    resource = aud
  } else {
    resource = required(body, 'resource')
    if (!isResourceUri(resource)) throw OAuthErrors.invalidResource(resource)
  }
  return {
    clientId,
    clientSecret,
    clientAssertion: assertion,
    clientAssertionType: single(body, 'client_assertion_type'),
    resource,
    version,
    params: body,
  }
}
