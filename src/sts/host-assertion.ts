// Authenticating an agent host by its client assertion (RFC 7523): an ES256 JWT whose `x5c`
// carries the host certificate. The certificate must chain to the Keyless CA and be valid now;
// the JWT must verify with its key, name the host as iss and sub, be addressed to this endpoint,
// be short-lived and not replayed; and the host must still be active (revocation is immediate).
import { decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { ASSERTION_ALGORITHM, ASSERTION_MAX_LIFETIME_S } from '../common/agent-protocol.js'
import { oauthError } from '../common/oauth-error.js'
import type { Clock } from '../domain/clock.js'
import type { HostRow } from '../store/schema.js'
import type { HostRegistry } from '../directory/hosts.js'
import { createHostCertificates } from './host-certificates.js'
import { createReplayGuard } from './replay-guard.js'

export interface HostAssertionOptions {
  caCertPem: string
  hosts: Pick<HostRegistry, 'fetch'>
  clock: Clock
}

/** Seconds of clock skew allowed on the assertion's exp, nbf and iat. */
const CLOCK_TOLERANCE_S = 60

const bad = (aadsts: number, message: string) => oauthError(401, 'invalid_client', aadsts, message)

export function createHostAuthenticator(o: HostAssertionOptions) {
  const replays = createReplayGuard()
  const checkCertificate = createHostCertificates({ caCertPem: o.caCertPem })

  /** `fetchHost` reads the host's current row (default: the registry, live). */
  return async function authenticateHost(
    assertion: string,
    audiences: string[],
    fetchHost: (id: string) => Promise<HostRow | undefined> = (id) => o.hosts.fetch(id),
  ): Promise<HostRow> {
    const now = o.clock.now()
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(assertion)
    } catch {
      throw bad(50027, 'The client assertion is not a valid JWT.')
    }
    const x5c: unknown = Array.isArray(header.x5c) ? header.x5c[0] : undefined
    if (header.alg !== ASSERTION_ALGORITHM || typeof x5c !== 'string') {
      throw bad(5002738, `The client assertion must be ${ASSERTION_ALGORITHM} with an x5c header.`)
    }
    const checked = checkCertificate(x5c, now)
    if (!checked.ok && checked.reason === 'unreadable') {
      throw bad(5002738, 'The client assertion certificate cannot be read.')
    }
    if (!checked.ok) {
      throw bad(
        700027,
        'The client assertion certificate is not issued by Keyless or is not valid now.',
      )
    }
    const { hostId, publicKey } = checked.certificate
    let exp: number
    let jti: unknown
    try {
      const { payload } = await jwtVerify(assertion, publicKey, {
        algorithms: [ASSERTION_ALGORITHM],
        issuer: hostId,
        subject: hostId,
        audience: audiences,
        currentDate: new Date(now),
        clockTolerance: CLOCK_TOLERANCE_S,
        maxTokenAge: ASSERTION_MAX_LIFETIME_S + CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'iat', 'jti'],
      })
      exp = payload.exp!
      jti = payload.jti
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
    if (typeof jti !== 'string' || !replays.firstUse(jti, forgetAt, now)) {
      throw bad(700021, 'The client assertion was already used.')
    }
    const host = await fetchHost(hostId)
    if (!host) throw bad(700016, `Host '${hostId}' is not enrolled.`)
    if (host.state !== 'active') throw bad(7000112, `Host '${hostId}' is revoked.`)
    return host
  }
}

export type HostAuthenticator = ReturnType<typeof createHostAuthenticator>
