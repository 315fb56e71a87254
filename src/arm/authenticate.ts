// Authentication of control-plane requests: a Keyless bearer token for one of the accepted
// audiences. Failures carry ARM's codes and a `WWW-Authenticate` challenge naming the authority
// (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
import type { FastifyRequest } from 'fastify'
import {
  bearerToken,
  TokenRejected,
  REVOCATION_MESSAGES,
  type RevocationOf,
  type TokenRejection,
  type VerifiedClaims,
  type VerifyAccessToken,
} from '../common/access-token.js'
import type { Clock } from '../domain/clock.js'
import { Unauthenticated } from '../domain/errors.js'

export interface Caller {
  objectId: string
  appId: string
  tenantId: string
  claims: VerifiedClaims
}

export interface AuthenticatorOptions {
  verifyToken: VerifyAccessToken
  /** A revoked token (principal deleted, identity detached, …) is an invalid token: 401. */
  revocationOf: RevocationOf
  /** Read per request: they include the public URL, known only once the server listens. */
  audiences: () => readonly string[]
  /** `https://host:port`, the token authority. */
  authority: () => string
  tenantId: string
  clock: Clock
}

export type Authenticate = (request: FastifyRequest) => Promise<Caller>

function fail(code: string, message: string, o: AuthenticatorOptions): Unauthenticated {
  const description = message.replace(/"/g, "'")
  const challenge = `Bearer authorization_uri="${o.authority()}/${o.tenantId}", error="invalid_token", error_description="${description}"`
  return new Unauthenticated(code, message, {
    extra: { headers: { 'www-authenticate': challenge } },
  })
}

const utc = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString()

function rejection(e: TokenRejected, o: AuthenticatorOptions): Unauthenticated {
  const byReason: Record<TokenRejection, () => Unauthenticated> = {
    malformed: () => fail('InvalidAuthenticationToken', 'The access token is invalid.', o),
    signature: () =>
      fail(
        'InvalidAuthenticationToken',
        'The access token is invalid: its signature could not be verified.',
        o,
      ),
    claims: () =>
      fail('InvalidAuthenticationToken', `The access token is invalid: ${e.message}.`, o),
    'not-yet-valid': () =>
      fail('InvalidAuthenticationToken', 'The access token is not valid yet.', o),
    expired: () =>
      fail(
        'ExpiredAuthenticationToken',
        e.exp === undefined
          ? 'The access token has expired.'
          : `The access token expiry UTC time '${utc(e.exp)}' is earlier than current UTC time '${new Date(o.clock.now()).toISOString()}'.`,
        o,
      ),
    audience: () =>
      fail(
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${e.actual ?? ''}'. It should exactly match with one of the allowed audiences ${o
          .audiences()
          .map((a) => `'${a}'`)
          .join(',')}.`,
        o,
      ),
    issuer: () =>
      fail(
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${e.actual ?? ''}'. It must match the tenant '${o.authority()}/${o.tenantId}/' associated with this subscription. Please use the authority (URL) '${o.authority()}/${o.tenantId}' to get the token.`,
        o,
      ),
  }
  return byReason[e.reason]()
}

export function createAuthenticator(o: AuthenticatorOptions): Authenticate {
  return async (request) => {
    const header = request.headers.authorization
    const token = bearerToken(header)
    if (token === undefined) {
      throw fail(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        o,
      )
    }
    if (token === null) {
      throw fail(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        o,
      )
    }
    let claims: VerifiedClaims
    try {
      claims = await o.verifyToken(token, o.audiences())
    } catch (e) {
      if (e instanceof TokenRejected) throw rejection(e, o)
      throw e
    }
    if (typeof claims.oid !== 'string' || claims.oid === '') {
      throw fail('InvalidAuthenticationToken', "The access token has no 'oid' claim.", o)
    }
    const revoked = await o.revocationOf(claims)
    if (revoked) {
      throw fail(
        'InvalidAuthenticationToken',
        `The access token is invalid: ${REVOCATION_MESSAGES[revoked]}.`,
        o,
      )
    }
    return { objectId: claims.oid, appId: claims.appid, tenantId: claims.tid, claims }
  }
}
