// The host credential: an ECDSA P-256 key that never leaves the host and a certificate from the
// Keyless CA. Enrolled once with a join token, persisted in the state directory, loaded on
// restart, and renewed with a new key once two thirds of the certificate's lifetime have passed
// (checked on a timer against the injected clock, so tests move time by hand).
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { chmodSync } from 'node:fs'
import { hostname } from 'node:os'
import {
  ENROLL_PATH,
  RENEW_PATH,
  type EnrollRequest,
  type RenewRequest,
} from '../common/agent-protocol.js'
import { ensureDir } from '../common/files.js'
import type { Clock } from '../domain/clock.js'
import { signAssertion } from './assertion.js'
import { loadStoredCredential, rebase, saveCredential, saveRevoked } from './credential-files.js'
import {
  EnrollmentError,
  fromResponse,
  refusal,
  toCredential,
  type HostCredential,
} from './host-credential.js'
import type { HttpsClient } from './https-client.js'
import type { Logger } from './respond.js'

export interface CredentialOptions {
  stateDir: string
  serverUrl: string
  http: HttpsClient
  clock: Clock
  log: Logger
  /** Needed on first start, or to enroll again after a revocation or expiry. */
  joinToken?: string
  hostName?: string
  /** How often the renewal time is checked (default 30 s). */
  checkIntervalMs?: number
  /** Wait after a failed renewal before the next attempt, in clock time (default 30 s). */
  retryMs?: number
}

export type { HostCredential } from './host-credential.js'
export { EnrollmentError } from './host-credential.js'

export type CredentialManager = Awaited<ReturnType<typeof openCredential>>

function newKeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string }
}

export async function openCredential(o: CredentialOptions) {
  const origin = new URL(o.serverUrl).origin
  const checkMs = o.checkIntervalMs ?? 30_000
  const retryMs = o.retryMs ?? 30_000
  // The state holds the host key and the control socket: owner only, even if it existed.
  ensureDir(o.stateDir)
  chmodSync(o.stateDir, 0o700)

  async function enroll(joinToken: string): Promise<HostCredential> {
    const { privateKey, publicKeyPem } = newKeyPair()
    const body: EnrollRequest = {
      joinToken,
      name: o.hostName ?? hostname(),
      publicKey: publicKeyPem,
    }
    const res = await o.http.send(`${origin}${ENROLL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (res.status !== 200 && res.status !== 201) throw refusal('enrollment', res.status, res.text)
    const stored = saveCredential(o.stateDir, fromResponse(res.text, origin), privateKey)
    o.log.info({ hostId: stored.hostId }, 'host enrolled')
    return toCredential(stored, privateKey)
  }

  let current: HostCredential
  let revoked = false
  const loaded = loadStoredCredential(o.stateDir)
  const usable =
    loaded &&
    !loaded.stored.revoked &&
    Date.parse(new X509Certificate(loaded.stored.certificate).validTo) > o.clock.now()
  if (loaded && usable) {
    current = toCredential(rebase(loaded.stored, origin), loaded.privateKey)
  } else if (o.joinToken) {
    current = await enroll(o.joinToken)
  } else {
    const why = !loaded
      ? 'has no host credential'
      : loaded.stored.revoked
        ? 'was revoked'
        : 'has an expired host credential'
    throw new EnrollmentError(`this agent ${why}: enroll it with a join token`)
  }

  let nextAttemptAt = 0
  let renewing: Promise<boolean> | undefined
  let timer: NodeJS.Timeout | undefined

  const renewAt = (c: HostCredential) => c.notBefore + ((c.notAfter - c.notBefore) * 2) / 3

  async function renew(): Promise<boolean> {
    // Addressed to the server's own authority, the origin of the endpoints it handed out.
    const url = `${new URL(current.tokenEndpoint).origin}${RENEW_PATH}`
    const { privateKey, publicKeyPem } = newKeyPair()
    const body: RenewRequest = { publicKey: publicKeyPem }
    const assertion = await signAssertion(current, url, o.clock)
    const res = await o.http.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${assertion}` },
      body: JSON.stringify(body),
    })
    if (res.status !== 200 && res.status !== 201) throw refusal('renewal', res.status, res.text)
    const fresh = fromResponse(res.text, origin)
    if (fresh.hostId !== current.hostId)
      throw new EnrollmentError('renewal answered for another host')
    // The machine resource is named at enrollment; a renewal keeps it.
    const machine = fresh.machineResourceId ?? current.machineResourceId
    const stored = saveCredential(
      o.stateDir,
      { ...fresh, ...(machine ? { machineResourceId: machine } : {}) },
      privateKey,
    )
    current = toCredential(stored, privateKey)
    o.log.info({ hostId: current.hostId, notAfter: current.notAfter }, 'host credential renewed')
    return true
  }

  function attempt(): Promise<boolean> {
    if (revoked || o.clock.now() < nextAttemptAt) return Promise.resolve(false)
    renewing ??= renew()
      .catch((err: unknown) => {
        nextAttemptAt = o.clock.now() + retryMs
        o.log.warn(
          { err: (err as Error).message, notAfter: current.notAfter },
          'host credential renewal failed',
        )
        return false
      })
      .finally(() => {
        renewing = undefined
      })
    return renewing
  }

  const manager = {
    current: (): HostCredential => current,
    get revoked(): boolean {
      return revoked
    },
    /** When the current certificate is due for renewal (epoch ms). */
    get renewAt(): number {
      return renewAt(current)
    },
    /** Renews if two thirds of the lifetime have passed; true when it renewed. */
    renewIfDue(): Promise<boolean> {
      return o.clock.now() < renewAt(current) ? Promise.resolve(false) : attempt()
    },
    /** Renews now, whatever the time (the active CA did not sign the certificate: ca-watch.ts);
     * true when it renewed. */
    renewNow(): Promise<boolean> {
      return attempt()
    },
    /** The operator revoked this host: stop renewing, and remember it across restarts. */
    markRevoked(): void {
      if (revoked) return
      revoked = true
      manager.stop()
      saveRevoked(o.stateDir)
      o.log.warn({ hostId: current.hostId }, 'host revoked')
    },
    start(): void {
      timer ??= setInterval(() => void manager.renewIfDue(), checkMs)
      timer.unref()
    },
    stop(): void {
      if (timer) clearInterval(timer)
      timer = undefined
    },
  }
  return manager
}
