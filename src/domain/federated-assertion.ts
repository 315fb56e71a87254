// What an external issuer's token must be to stand in for a client secret (RFC 7523 §3, and
// RFC 8725 §3.1 on algorithms). Signature algorithms are an allow-list of asymmetric ones: never
// `none`, and never HMAC, whose "secret" a verifier would take from the issuer's public key
// (the classic RS256→HS256 confusion). Entra accepts RS256 only; Keyless also accepts the RSA-PSS
// and ECDSA algorithms that Kubernetes and other issuers can be configured to use.
export const FEDERATED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
] as const

export function isFederatedAlgorithm(alg: unknown): boolean {
  return typeof alg === 'string' && (FEDERATED_ALGORITHMS as readonly string[]).includes(alg)
}

export interface AssertionTimes {
  exp: number
  iat: number
  nbf?: number
}

/** Why an assertion's times are refused beyond exp/nbf (checked by the verifier), or undefined:
 * issued in the future, or living longer than `maxLifetimeS` (a long-lived token leaked from a
 * CI log would otherwise open the identity for days). Times in epoch seconds. */
export function assertionTimeProblem(
  t: AssertionTimes,
  nowS: number,
  skewS: number,
  maxLifetimeS: number,
): string | undefined {
  if (t.iat > nowS + skewS) return `it is issued in the future (iat ${t.iat})`
  const lifetime = t.exp - Math.min(t.iat, t.nbf ?? t.iat)
  if (lifetime > maxLifetimeS) {
    return `it lives ${lifetime} s, longer than the ${maxLifetimeS} s Keyless accepts`
  }
  return undefined
}
