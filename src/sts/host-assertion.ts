// Authenticating an agent host by its client assertion (RFC 7523, private_key_jwt): an ES256
// JWT whose `x5c` carries the host certificate. The certificate must be a host certificate of
// the Keyless CA valid now (host-certificates.ts); the JWT must verify with its key, name the
// host as iss and sub, be addressed to exactly this endpoint, be short-lived and not replayed
// anywhere in the installation; and the host must still be active (revocation is immediate).
//
// The header is held to what a host sends (RFC 8725 §3.1, §3.10): `alg` ES256, `typ` JWT if
// present, `x5c` with the one certificate and an optional `kid`. Anything that would tell the
// verifier where else to find a key or how else to read the token (`jku`, `jwk`, `x5u`, `crit`,
// or any other member) is refused before the signature is looked at, and whatever the signature.
import { decodeProtectedHeader, errors, jwtVerify, type ProtectedHeaderParameters } from 'jose'
import {
  AgentErrorCodes,
  ASSERTION_ALGORITHM,
  ASSERTION_MAX_LIFETIME_S,
} from '../common/agent-protocol.js'
import { oauthError } from '../common/oauth-error.js'
import type { Clock } from '../domain/clock.js'
import type { HostRow } from '../store/schema.js'
import type { Store } from '../store/store.js'
import type { HostRegistry } from '../directory/hosts.js'
import type { CheckHostCertificate } from './host-certificates.js'
import { createReplayGuard } from './replay-guard.js'

export interface HostAssertionOptions {
  checkCertificate: CheckHostCertificate
  hosts: Pick<HostRegistry, 'fetch'>
  store: Pick<Store, 'assertionIds'>
  clock: Clock
}

/** Seconds of clock skew allowed on the assertion's exp, nbf and iat: five minutes, Entra's
 * (Microsoft.IdentityModel's TokenValidationParameters.DefaultClockSkew). One minute refused
 * every request of a host whose clock ran two minutes ahead (test/e2e/fleet). */
export const CLOCK_TOLERANCE_S = 300
const ALLOWED_HEADER = new Set(['alg', 'typ', 'kid', 'x5c'])
const ALLOWED_TYP = new Set(['jwt', 'client-authentication+jwt'])

export type HostLookup = (id: string) => Promise<HostRow | undefined>

const bad = (aadsts: number, message: string) => oauthError(401, 'invalid_client', aadsts, message)

/** The host's row if it is enrolled and active: the check every host authentication ends with. */
export async function activeHost(hostId: string, fetchHost: HostLookup): Promise<HostRow> {
  const host = await fetchHost(hostId)
  if (!host) throw bad(AgentErrorCodes.hostNotEnrolled, `Host '${hostId}' is not enrolled.`)
  if (host.state !== 'active')
    throw bad(AgentErrorCodes.hostRevoked, `Host '${hostId}' is revoked.`)
  return host
}

/** The one host certificate of a header the rules accept, else why not. */
function certificateOf(header: ProtectedHeaderParameters): string {
  const extra = Object.keys(header).filter((k) => !ALLOWED_HEADER.has(k))
  if (extra.length > 0) {
    throw bad(5002738, `The client assertion header may not carry '${extra.join("', '")}'.`)
  }
  if (header.alg !== ASSERTION_ALGORITHM) {
    throw bad(5002738, `The client assertion must be signed with ${ASSERTION_ALGORITHM}.`)
  }
  if (header.typ !== undefined && !ALLOWED_TYP.has(String(header.typ).toLowerCase())) {
    throw bad(5002738, 'The client assertion typ must be JWT.')
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw bad(5002738, 'The client assertion kid must be a string.')
  }
  const x5c: unknown = header.x5c
  if (!Array.isArray(x5c) || x5c.length !== 1 || typeof x5c[0] !== 'string') {
    throw bad(5002738, 'The client assertion must carry its host certificate as the one x5c entry.')
  }
  return x5c[0]
}

export function createHostAuthenticator(o: HostAssertionOptions) {
  const replays = createReplayGuard({ store: o.store })

  /**
   * The active host that signed `assertion` for `audience` (the URL of the endpoint called).
   * `fetchHost` reads the host's current row (default: the registry, live).
   */
  return async function authenticateHost(
    assertion: string,
    audience: string,
    fetchHost: HostLookup = (id) => o.hosts.fetch(id),
  ): Promise<HostRow> {
    const now = o.clock.now()
    let header: ProtectedHeaderParameters
    try {
      header = decodeProtectedHeader(assertion)
    } catch {
      throw bad(50027, 'The client assertion is not a valid JWT.')
    }
    const checked = o.checkCertificate(certificateOf(header), now)
    if (!checked.ok && checked.reason === 'unreadable') {
      throw bad(5002738, 'The client assertion certificate cannot be read.')
    }
    if (!checked.ok) {
      throw bad(700027, 'The client assertion certificate is not a valid Keyless host certificate.')
    }
    const { hostId, publicKey } = checked.certificate
    let exp: number
    let jti: unknown
    try {
      const { payload } = await jwtVerify(assertion, publicKey, {
        algorithms: [ASSERTION_ALGORITHM],
        issuer: hostId,
        subject: hostId,
        audience,
        currentDate: new Date(now),
        clockTolerance: CLOCK_TOLERANCE_S,
        maxTokenAge: ASSERTION_MAX_LIFETIME_S + CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'iat', 'jti'],
      })
      exp = payload.exp!
      jti = payload.jti
      // RFC 7523 allows an array; one endpoint is addressed, so one string is all that is taken.
      if (typeof payload.aud !== 'string')
        throw bad(700021, 'The client assertion aud must be one URL.')
      if (payload.iat! > now / 1000 + CLOCK_TOLERANCE_S)
        throw bad(700024, 'The client assertion is issued in the future.')
      if (exp - payload.iat! > ASSERTION_MAX_LIFETIME_S)
        throw bad(700024, 'The client assertion lives too long.')
    } catch (e) {
      if (
        e instanceof errors.JWTExpired ||
        (e instanceof errors.JWTClaimValidationFailed && e.claim === 'iat')
      ) {
        throw bad(700024, 'Client assertion is not within its valid time range.')
      }
      if (e instanceof errors.JWTClaimValidationFailed) {
        throw bad(700021, `Client assertion claim '${e.claim}' is invalid.`)
      }
      if (e instanceof Error && 'status' in e) throw e
      throw bad(700027, 'Client assertion failed signature validation.')
    }
    // Remembered for as long as jwtVerify would still accept the assertion (exp + tolerance).
    const forgetAt = (exp + CLOCK_TOLERANCE_S) * 1000
    if (typeof jti !== 'string' || jti === '' || jti.length > 256) {
      throw bad(700021, "Client assertion claim 'jti' is invalid.")
    }
    if (!(await replays.firstUse(jti, forgetAt, now))) {
      throw bad(700021, 'The client assertion was already used.')
    }
    return activeHost(hostId, fetchHost)
  }
}

export type HostAuthenticator = ReturnType<typeof createHostAuthenticator>
