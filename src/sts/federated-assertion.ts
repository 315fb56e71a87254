// Workload identity federation, the "in" direction: a token from an external OIDC issuer (GitHub
// Actions, a Kubernetes cluster, another Keyless) stands in for a user-assigned identity's client
// secret. The steps, each refusing with Entra's code (oidc discovery and JWKS in issuer-keys.ts,
// the matching rule in domain/federated-match.ts):
//   identity by client_id → header (alg allow-list) → credentials trusting `iss` (none: refused
//   before anything is fetched, so a token cannot make Keyless call an issuer nobody trusts) →
//   the issuer's keys → signature, exp/nbf with skew → iat and lifetime → issuer/audience/subject
//   or expression match → single use.
// `examine` runs every step but the last and is what the dry run calls too, so its explanation
// is the token endpoint's own decision.
import { createHash } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose'
import type { Clock } from '../domain/clock.js'
import { KeylessError } from '../domain/errors.js'
import {
  assertionTimeProblem,
  FEDERATED_ALGORITHMS,
  isFederatedAlgorithm,
} from '../domain/federated-assertion.js'
import {
  matchFederatedCredential,
  type FederatedCredentialRule,
  type FederatedMatch,
  type PresentedClaims,
} from '../domain/federated-match.js'
import type { FederatedCredentialRow, ResourceRow, ServicePrincipalRow } from '../store/schema.js'
import type { Store } from '../store/store.js'
import { FederationErrors } from './federation-errors.js'
import { IssuerFetchError } from './issuer-fetch.js'
import type { IssuerKeys } from './issuer-keys.js'
import { createReplayGuard } from './replay-guard.js'

export interface FederatedAssertionOptions {
  store: Pick<Store, 'resources' | 'federatedCredentials' | 'assertionIds'>
  issuerKeys: IssuerKeys
  clock: Clock
  clockSkewS: number
  maxLifetimeS: number
}

export interface FederatedIdentity {
  principal: ServicePrincipalRow
  resource: ResourceRow
}

export interface Examination {
  /** The verified claims, once the signature and times passed. */
  claims?: JWTPayload & PresentedClaims
  /** The credential that matched. */
  credential?: FederatedCredentialRule
  /** The first refusal; absent when the assertion would be accepted (replay aside). */
  error?: KeylessError
  /** Every credential of the identity against the verified claims (for the dry run). */
  perCredential?: { name: string; match: FederatedMatch }[]
  /** The single-use record the assertion takes when accepted. */
  replay?: { key: string; forgetAt: number }
}

export interface Explanation extends Examination {
  /** Whether `claims` passed signature and time checks (else they are as the token says). */
  claimsVerified: boolean
  /** The assertion passed every check but was already used for this resource. */
  replayed: boolean
}

export function credentialRule(row: FederatedCredentialRow): FederatedCredentialRule {
  return {
    name: row.name,
    issuer: row.issuer,
    ...(row.subject !== null && { subject: row.subject }),
    audiences: JSON.parse(row.audiences) as string[],
    ...(row.claims_matching_expression !== null && {
      claimsMatchingExpression: JSON.parse(row.claims_matching_expression),
    }),
  }
}

const presented = (p: JWTPayload): JWTPayload & PresentedClaims =>
  ({ ...p, iss: String(p.iss), sub: String(p.sub ?? ''), aud: p.aud ?? [] }) as JWTPayload &
    PresentedClaims

/** jose's refusals in Entra's terms. */
function verificationError(e: unknown, kid: string | undefined): KeylessError {
  if (e instanceof KeylessError) return e
  if (e instanceof errors.JWTExpired) return FederationErrors.timeRange('it has expired')
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf')
    return FederationErrors.timeRange('it is not valid yet (nbf)')
  if (e instanceof errors.JWTClaimValidationFailed) return FederationErrors.badClaim(e.claim)
  if (e instanceof errors.JWKSNoMatchingKey)
    return FederationErrors.signature(`the issuer's JWKS has no key '${kid ?? ''}' for it`)
  if (e instanceof errors.JWKSMultipleMatchingKeys)
    return FederationErrors.signature('the issuer publishes several keys it could be signed with')
  if (e instanceof errors.JOSEAlgNotAllowed)
    return FederationErrors.signature('its algorithm is not accepted')
  return FederationErrors.signature('the signature does not verify')
}

export function createFederatedAssertions(o: FederatedAssertionOptions) {
  const replays = createReplayGuard({ store: o.store })

  async function examine(
    assertion: string,
    identity: FederatedIdentity,
    resource: string,
  ): Promise<Examination> {
    const ex: Examination = {}
    try {
      await run(ex, assertion, identity, resource)
    } catch (e) {
      if (!(e instanceof KeylessError)) throw e
      ex.error = e
    }
    return ex
  }

  async function run(
    ex: Examination,
    assertion: string,
    identity: FederatedIdentity,
    resource: string,
  ) {
    const now = o.clock.now()
    let header: ReturnType<typeof decodeProtectedHeader>
    let unverified: JWTPayload
    try {
      header = decodeProtectedHeader(assertion)
      unverified = decodeJwt(assertion)
    } catch {
      throw FederationErrors.malformed()
    }
    if (!isFederatedAlgorithm(header.alg)) {
      throw FederationErrors.signature(
        `its algorithm '${String(header.alg)}' is not one of ${FEDERATED_ALGORITHMS.join(', ')}`,
      )
    }
    if (typeof unverified.iss !== 'string' || unverified.iss === '') {
      throw FederationErrors.badClaim('iss')
    }
    const iss = unverified.iss
    const identityKey = identity.resource.key
    const trusting = (await o.store.federatedCredentials.listByIssuer(identityKey, iss)).map(
      credentialRule,
    )
    if (trusting.length === 0) {
      const all = (await o.store.federatedCredentials.list(identityKey)).map(credentialRule)
      const m = matchFederatedCredential(presented(unverified), all)
      // None trusts `iss`, so none can match.
      if (!m.ok) throw FederationErrors.noMatch(m, iss.startsWith('https://') ? undefined : 'https')
    }
    let keys: Awaited<ReturnType<IssuerKeys['keysFor']>>
    try {
      keys = await o.issuerKeys.keysFor(iss, header.kid)
    } catch (e) {
      if (e instanceof IssuerFetchError) throw FederationErrors.issuerUnreachable(e.message)
      throw e
    }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(assertion, keys.resolve, {
        algorithms: [...FEDERATED_ALGORITHMS],
        issuer: iss,
        currentDate: new Date(now),
        clockTolerance: o.clockSkewS,
        requiredClaims: ['exp', 'iat', 'sub'],
      }))
    } catch (e) {
      throw verificationError(e, header.kid)
    }
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw FederationErrors.badClaim('sub')
    const problem = assertionTimeProblem(
      {
        exp: payload.exp!,
        iat: payload.iat!,
        ...(payload.nbf !== undefined && { nbf: payload.nbf }),
      },
      now / 1000,
      o.clockSkewS,
      o.maxLifetimeS,
    )
    if (problem) throw FederationErrors.timeRange(problem)
    const claims = presented(payload)
    ex.claims = claims
    const all = (await o.store.federatedCredentials.list(identityKey)).map(credentialRule)
    ex.perCredential = all.map((c) => ({
      name: c.name,
      match: matchFederatedCredential(claims, [c]),
    }))
    const m = matchFederatedCredential(claims, trusting)
    if (!m.ok) throw FederationErrors.noMatch(m)
    ex.credential = m.credential
    // Single use per token and requested resource: a workload may trade one projected token for
    // tokens for several resources (ARM, a vault), but the same exchange twice is a replay. The
    // record lasts as long as the assertion could pass verification (exp + skew). A token
    // without a `jti` (older Kubernetes) is known by its hash.
    const id = typeof payload.jti === 'string' && payload.jti !== '' ? payload.jti : assertion
    ex.replay = {
      key: `fed:${createHash('sha256').update(`${iss}\n${id}\n${resource}`).digest('base64url')}`,
      forgetAt: (payload.exp! + o.clockSkewS) * 1000,
    }
  }

  /**
   * The dry run: `examine`, and the replay check without taking the single use. When the
   * refusal came before the signature was checked, the credentials are matched against the
   * unverified claims, so the answer still says which credential the token was meant for.
   */
  async function explain(
    assertion: string,
    identity: FederatedIdentity,
    resource: string,
  ): Promise<Explanation> {
    const ex = await examine(assertion, identity, resource)
    const replayed =
      ex.error === undefined && ex.replay !== undefined
        ? await o.store.assertionIds.isClaimed(ex.replay.key, o.clock.now())
        : false
    if (replayed) ex.error = FederationErrors.replayed()
    if (ex.claims) return { ...ex, claimsVerified: true, replayed }
    let unverified: JWTPayload | undefined
    try {
      unverified = decodeJwt(assertion)
    } catch {
      return { ...ex, claimsVerified: false, replayed }
    }
    const claims = presented(unverified)
    const all = (await o.store.federatedCredentials.list(identity.resource.key)).map(credentialRule)
    return {
      ...ex,
      claims,
      claimsVerified: false,
      replayed,
      perCredential: all.map((c) => ({
        name: c.name,
        match: matchFederatedCredential(claims, [c]),
      })),
    }
  }

  return {
    examine,
    explain,
    /** The credential `assertion` satisfies for `identity`, taking its single use; else throws. */
    async authenticate(
      assertion: string,
      identity: FederatedIdentity,
      resource: string,
    ): Promise<FederatedCredentialRule> {
      const ex = await examine(assertion, identity, resource)
      if (ex.error) throw ex.error
      if (!(await replays.firstUse(ex.replay!.key, ex.replay!.forgetAt, o.clock.now()))) {
        throw FederationErrors.replayed()
      }
      return ex.credential!
    },
  }
}

export type FederatedAssertions = ReturnType<typeof createFederatedAssertions>
