// Who may manage hosts (join tokens, revocation) and read the raw change stream: RBAC decides,
// on Keyless's own actions at the root scope (the operator is Owner there; `*` covers them), or
// on an ARM action at the scope the request names (onboarding machines into a resource group).
// Errors use ARM's authentication codes.
import type { FastifyRequest } from 'fastify'
import {
  bearerToken,
  REVOCATION_MESSAGES,
  TokenRejected,
  type RevocationOf,
  type VerifiedClaims,
  type VerifyAccessToken,
} from '../common/access-token.js'
import { Forbidden, Unauthenticated } from '../domain/errors.js'

export interface OperatorAuthOptions {
  verifyToken: VerifyAccessToken
  revocationOf: RevocationOf
  audiences: () => string[]
  checkAccess: (principalId: string, action: string, scope: string) => boolean
}

/** The verified claims of a request's bearer token, or ARM's authentication error. */
export function createBearerAuthenticator(o: Omit<OperatorAuthOptions, 'checkAccess'>) {
  return async (req: FastifyRequest): Promise<VerifiedClaims> => {
    const token = bearerToken(req.headers.authorization)
    if (!token) {
      throw new Unauthenticated(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
      )
    }
    let claims: VerifiedClaims
    try {
      claims = await o.verifyToken(token, o.audiences())
    } catch (e) {
      if (e instanceof TokenRejected) {
        throw new Unauthenticated(
          'InvalidAuthenticationToken',
          `The access token is invalid: ${e.message}.`,
        )
      }
      throw e
    }
    const revoked = await o.revocationOf(claims)
    if (revoked) {
      throw new Unauthenticated(
        'InvalidAuthenticationToken',
        `The access token is invalid: ${REVOCATION_MESSAGES[revoked]}.`,
      )
    }
    return claims
  }
}

export function createOperatorAuthorizer(o: OperatorAuthOptions) {
  const authenticate = createBearerAuthenticator(o)
  return async (req: FastifyRequest, action: string, scope = '/'): Promise<void> => {
    const claims = await authenticate(req)
    const oid = claims.oid
    if (!o.checkAccess(oid, action, scope)) {
      throw new Forbidden(
        'AuthorizationFailed',
        `The client '${oid}' with object id '${oid}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      )
    }
  }
}
