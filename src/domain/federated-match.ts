// Which federated identity credential an external token's claims match, with Entra's answer
// when none does. Entra checks issuer, then audience, then subject, and says which of them had
// no match (AADSTS700211 issuer, AADSTS700212 audience, AADSTS700213 subject, AADSTS7002138 a
// subject that matches only case-insensitively; AADSTS70021 the general form). Beyond Entra the
// refusal names the closest credential and the claim that differed, so a user need not guess.
// Matching is exact and case-sensitive, as Entra's has been since August 2024.

export interface FederatedCredentialRule {
  name: string
  issuer: string
  subject?: string
  audiences: readonly string[]
  claimsMatchingExpression?: { value: string; languageVersion: number }
}

export interface PresentedClaims {
  iss: string
  sub: string
  aud: string | readonly string[]
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
  // Expression credentials (claimsMatchingExpression) are stored but not evaluated yet: they
  // never match, and the message says so rather than letting one pass by accident.
  const expression = byAudience.find((c) => c.subject === undefined)
  return {
    ok: false,
    code: 'AADSTS700213',
    claim: 'sub',
    message:
      `No matching federated identity record found for presented assertion subject '${claims.sub}'` +
      (expression
        ? `; credential '${expression.name}' uses claimsMatchingExpression, which Keyless does not evaluate yet`
        : ''),
    closest: byAudience[0]!.name,
  }
}
