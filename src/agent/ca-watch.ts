// Following a CA rotation: every `--ca-check-interval` the agent asks the server for the CA
// bundle (CA_PATH, as a host). When it changed, the agent trusts it for new connections, saves
// it where runs read it (ca.crt, ca-bundle.pem: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE,
// REQUESTS_CA_BUNDLE of runs started from then on), and, when the active CA (the bundle's
// first) did not sign its host certificate, renews at once, so that the operator can retire
// the previous CA within one interval of the rotation.
import { X509Certificate } from 'node:crypto'
import { CA_PATH, type CaResponse } from '../common/agent-protocol.js'
import { splitCertificates } from '../common/pki.js'
import type { Clock } from '../domain/clock.js'
import { signAssertion } from './assertion.js'
import { saveCaBundle } from './credential-files.js'
import type { CredentialManager } from './credential.js'
import type { Logger } from './respond.js'
import type { ServerPool } from './server-pool.js'

export interface CaWatchOptions {
  stateDir: string
  http: ServerPool
  credential: CredentialManager
  clock: Clock
  log: Logger
  /** The bundle trusted now (what the agent started with). */
  trusted: string | undefined
  /** Default one hour. */
  intervalMs?: number
}

/** The bundle's certificates, parsed; throws on anything that is not one. */
function readBundle(pem: string): X509Certificate[] {
  const blocks = splitCertificates(pem)
  if (blocks.length === 0) throw new Error('the server sent no CA certificate')
  return blocks.map((b) => {
    const c = new X509Certificate(b)
    if (!c.ca) throw new Error('the server sent a CA bundle with a certificate that is no CA')
    return c
  })
}

const fingerprints = (pem: string | undefined) =>
  splitCertificates(pem ?? '')
    .map((b) => new X509Certificate(b).fingerprint256)
    .join(',')

export function createCaWatch(o: CaWatchOptions) {
  let trusted = fingerprints(o.trusted)
  let timer: NodeJS.Timeout | undefined
  let checking: Promise<void> | undefined

  async function fetchBundle(): Promise<string> {
    const c = o.credential.current()
    const url = `${new URL(c.eventsUrl).origin}${CA_PATH}`
    const res = await o.http.send(url, {
      headers: {
        authorization: `Bearer ${await signAssertion(c, url, o.clock)}`,
        accept: 'application/json',
      },
    })
    if (res.status !== 200) throw new Error(`the CA bundle request answered ${res.status}`)
    const pem = (JSON.parse(res.text) as Partial<CaResponse>).caCertificate
    if (typeof pem !== 'string') throw new Error('the CA bundle answer lacks caCertificate')
    return pem
  }

  async function check(): Promise<void> {
    if (o.credential.revoked) return
    const pem = await fetchBundle()
    const certs = readBundle(pem)
    const seen = certs.map((c) => c.fingerprint256).join(',')
    if (seen !== trusted) {
      o.http.trust(pem)
      saveCaBundle(o.stateDir, pem)
      trusted = seen
      o.log.info({ cas: certs.map((c) => c.subject) }, 'CA bundle updated')
    }
    const host = new X509Certificate(o.credential.current().certificatePem)
    const active = certs[0]!
    if (!(host.checkIssued(active) && host.verify(active.publicKey))) {
      o.log.info({ activeCa: active.subject }, 'renewing: the active CA did not sign this host')
      await o.credential.renewNow()
    }
  }

  const watch = {
    /** One check now (the timer's, or a test's); failures are logged and retried next time. */
    check(): Promise<void> {
      checking ??= check()
        .catch((err: unknown) => o.log.warn({ err: (err as Error).message }, 'CA check failed'))
        .finally(() => {
          checking = undefined
        })
      return checking
    },
    /** Checks now and then every interval. */
    start(): void {
      void watch.check()
      timer ??= setInterval(() => void watch.check(), o.intervalMs ?? 3_600_000)
      timer.unref()
    },
    stop(): void {
      if (timer) clearInterval(timer)
      timer = undefined
    },
  }
  return watch
}
