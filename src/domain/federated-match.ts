// Which federated identity credential an external token's claims match, with Entra's answer
// when none does. Entra checks issuer, then audience, then subject, and says which of them had
// no match (AADSTS700211 issuer, AADSTS700212 audience, AADSTS700213 subject, AADSTS7002138 a
// subject that matches only case-insensitively; AADSTS70021 the general form). Beyond Entra the
// refusal names the closest credential and the claim that differed, so a user need not guess.
// Matching is exact and case-sensitive, as Entra's has been since August 2024; a credential with a
// `claimsMatchingExpression` instead of a subject matches when its expression holds over the
// token's claims (claims-expression.ts).
import {
  evaluateClaimsExpression,
  ExpressionSyntaxError,
  parseClaimsExpression,
  type ExpressionResult,
} from './claims-expression.js'

export interface FederatedCredentialRule {
  name: string
  issuer: string
  subject?: string
  audiences: readonly string[]
  claimsMatchingExpression?: { value: string; languageVersion: number }
}

/** The token's claims: `iss`, `sub` and `aud` for exact credentials, any of them for expressions. */
export interface PresentedClaims {
  iss: string
  sub: string
  aud: string | readonly string[]
  [claim: string]: unknown
}

export type FederatedMatch =
  | { ok: true; credential: FederatedCredentialRule }
  | {
      ok: false
      code: 'AADSTS70021' | 'AADSTS700211' | 'AADSTS700212' | 'AADSTS700213' | 'AADSTS7002138'
      /** The claim that failed: `iss`, `aud` or `sub`. */
      claim: 'iss' | 'aud' | 'sub' | undefined
      message: string
      /** The credential that matched the most claims before failing, by name. */
      closest?: string
    }

const audiencesOf = (aud: PresentedClaims['aud']): readonly string[] =>
  typeof aud === 'string' ? [aud] : aud

export function matchFederatedCredential(
  claims: PresentedClaims,
  credentials: readonly FederatedCredentialRule[],
): FederatedMatch {
  if (credentials.length === 0) {
    return {
      ok: false,
      code: 'AADSTS70021',
      claim: undefined,
      message:
        'No matching federated identity record found for presented assertion: the identity has no federated identity credentials',
    }
  }
  const byIssuer = credentials.filter((c) => c.issuer === claims.iss)
  if (byIssuer.length === 0) {
    return {
      ok: false,
      code: 'AADSTS700211',
      claim: 'iss',
      message: `No matching federated identity record found for presented assertion issuer '${claims.iss}'`,
      closest: credentials[0]!.name,
    }
  }
  const presented = audiencesOf(claims.aud)
  const byAudience = byIssuer.filter((c) => c.audiences.some((a) => presented.includes(a)))
  if (byAudience.length === 0) {
    return {
      ok: false,
      code: 'AADSTS700212',
      claim: 'aud',
      message: `No matching federated identity record found for presented assertion audience '${presented.join(', ')}'`,
      closest: byIssuer[0]!.name,
    }
  }
  const exact = byAudience.find((c) => c.subject !== undefined && c.subject === claims.sub)
  if (exact) return { ok: true, credential: exact }
  const evaluated = byAudience
    .filter((c) => c.claimsMatchingExpression !== undefined)
    .map((c) => ({ credential: c, result: evaluate(c.claimsMatchingExpression!.value, claims) }))
  const held = evaluated.find((e) => e.result.ok)
  if (held) return { ok: true, credential: held.credential }
  const folded = byAudience.find(
    (c) => c.subject !== undefined && c.subject.toLowerCase() === claims.sub.toLowerCase(),
  )
  if (folded) {
    return {
      ok: false,
      code: 'AADSTS7002138',
      claim: 'sub',
      message: `No matching federated identity record found for presented assertion subject '${claims.sub}': it matches credential '${folded.name}' only with case-insensitive comparison`,
      closest: folded.name,
    }
  }
  const failed = evaluated[0]
  return {
    ok: false,
    code: 'AADSTS700213',
    claim: 'sub',
    message:
      `No matching federated identity record found for presented assertion subject '${claims.sub}'` +
      (failed && !failed.result.ok
        ? `; in credential '${failed.credential.name}' ${failed.result.failed}`
        : ''),
    closest: (failed?.credential ?? byAudience[0]!).name,
  }
}

/** A stored expression over the claims; one that no longer parses (stored before the parser
 * was strict) matches nothing, and says so. */
function evaluate(expression: string, claims: PresentedClaims): ExpressionResult {
  try {
    return evaluateClaimsExpression(parseClaimsExpression(expression), claims)
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) {
      return { ok: false, failed: `the expression does not parse (${e.message})` }
    }
    throw e
  }
}
