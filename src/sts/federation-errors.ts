// The token endpoint's refusals of a federated assertion, in Entra's codes (identity-protocols.md
// §7): AADSTS70021/700211/700212/700213 from the matching rule, AADSTS50166 when the issuer's
// discovery document or JWKS cannot be used, AADSTS700027 for the signature, AADSTS700024 for
// the times. Beyond Entra, the message says which claim and which credential it was about.
import type { FederatedMatch } from '../domain/federated-match.js'
import { oauthError } from '../common/oauth-error.js'

const invalidClient = (aadsts: number, message: string) =>
  oauthError(401, 'invalid_client', aadsts, message)

export const FederationErrors = {
  malformed: () => invalidClient(50027, 'The client assertion is not a valid JWT.'),
  signature: (why: string) =>
    invalidClient(700027, `Client assertion failed signature validation: ${why}.`),
  timeRange: (why: string) =>
    invalidClient(700024, `Client assertion is not within its valid time range: ${why}.`),
  badClaim: (claim: string) =>
    invalidClient(700021, `Client assertion claim '${claim}' is missing or invalid.`),
  replayed: () =>
    invalidClient(
      700021,
      'The client assertion was already used for this resource: a federated token is accepted once per resource.',
    ),
  issuerUnreachable: (why: string) =>
    oauthError(400, 'invalid_request', 50166, `Request to External OIDC endpoint failed: ${why}.`),
  noMatch: (m: Extract<FederatedMatch, { ok: false }>, note?: 'https') =>
    oauthError(
      400,
      'invalid_request',
      Number(m.code.slice('AADSTS'.length)),
      m.message +
        (note === 'https' ? ' (Keyless trusts only https issuers)' : '') +
        (m.claim ? `. Claim: '${m.claim}'` : '') +
        (m.closest ? `. Closest credential: '${m.closest}'` : '') +
        '.',
    ),
}
