// App Service's `IDENTITY_HEADER` (and `MSI_SECRET`, the same value, as App Service sets both
// pairs of variables: the 2019 protocol sends it as X-IDENTITY-HEADER, 2017's as `secret`): a random value per run that the agent maps to the run's
// resource. Only SHA-256 digests are persisted, and a presented header is compared with every
// one of them with timingSafeEqual (equal-length digests), so neither the values nor their
// prefixes leak through timing. A header this process has issued or already matched is also
// kept in memory and compared directly (timingSafeEqual, every entry, values of one public
// length): hashing on every request cost a quarter of a cached answer on a loaded core, and
// made the App Service endpoint much slower than IMDS (bench/README.md).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { EndpointErrors } from './endpoint-errors.js'
import type { Authenticate, Caller } from './token-endpoint.js'

/** Which listener a header is for: App Service's shared one, or a Service Fabric run's own. */
export type HeaderScope = 'appservice' | 'servicefabric'

interface Registered {
  runId: string
  scope: HeaderScope
  digest: Buffer
  caller: Caller
  /** The header's bytes, once issued or matched by this process. */
  value?: Buffer
}

export type IdentityHeaders = ReturnType<typeof createIdentityHeaders>

export const headerDigest = (value: string): Buffer =>
  createHash('sha256').update(value, 'utf8').digest()

export function createIdentityHeaders() {
  let registered: Registered[] = []

  function match(value: string, scope: HeaderScope): Caller | undefined {
    const presented = Buffer.from(value, 'utf8')
    let found: Registered | undefined
    // No early exit: the time taken does not depend on which entry (if any) matched.
    for (const r of registered) {
      if (r.scope !== scope) continue
      if (r.value?.length === presented.length && timingSafeEqual(r.value, presented)) found = r
    }
    if (found) return found.caller
    const d = headerDigest(value)
    for (const r of registered) if (r.scope === scope && timingSafeEqual(r.digest, d)) found = r
    if (found) found.value = presented
    return found?.caller
  }

  function authenticateBy(name: string, shown: string, scope: HeaderScope) {
    return (req: IncomingMessage): Caller => {
      const value = req.headers[name]
      if (value === undefined || value === '') throw EndpointErrors.missingIdentityHeader(shown)
      const caller = typeof value === 'string' ? match(value, scope) : undefined
      if (!caller) throw EndpointErrors.wrongIdentityHeader(shown)
      return caller
    }
  }

  return {
    /** A fresh header for a run of `caller`; only its digest is kept. */
    register(
      runId: string,
      caller: Caller,
      scope: HeaderScope = 'appservice',
    ): { header: string; digest: string } {
      const header = randomBytes(32).toString('base64url')
      const digest = headerDigest(header)
      const value = Buffer.from(header, 'utf8')
      registered = [...registered, { runId, scope, digest, caller, value }]
      return { header, digest: digest.toString('hex') }
    },
    /** Re-registers a run's digest after a restart of the agent. */
    restore(
      runId: string,
      caller: Caller,
      digestHex: string,
      scope: HeaderScope = 'appservice',
    ): void {
      const digest = Buffer.from(digestHex, 'hex')
      if (digest.length !== 32) throw new TypeError(`run ${runId} has a malformed header digest`)
      registered = [...registered, { runId, scope, digest, caller }]
    },
    revoke(runId: string): void {
      registered = registered.filter((r) => r.runId !== runId)
    },
    /** The authentication step of the App Service endpoint (2019-08-01). */
    authenticate: authenticateBy(
      'x-identity-header',
      'X-IDENTITY-HEADER',
      'appservice',
    ) satisfies Authenticate,
    /** The same for App Service's 2017-09-01 protocol, whose clients send it as `secret`. */
    authenticateSecret: authenticateBy('secret', 'secret', 'appservice') satisfies Authenticate,
    /** Service Fabric's `Secret`: headers of Service Fabric runs only (servicefabric-endpoint.ts). */
    authenticateServiceFabric: authenticateBy(
      'secret',
      'Secret',
      'servicefabric',
    ) satisfies Authenticate,
    get size(): number {
      return registered.length
    },
  }
}
