// Host certificates as client assertions present them (`x5c`), parsed and chained to the Keyless
// CA set once per certificate instead of once per request: an agent sends the same certificate with
// every token request until it renews. Only a certificate that parsed and chained is remembered,
// keyed by its exact base64 DER; what depends on time (the validity window) is checked on every
// use, and what depends on state (the host's revocation) is left to the caller, per request.
//
// The same CA signs the server's TLS certificate, so chaining is not enough: a host certificate
// must carry the clientAuth extended key usage and a subject that is exactly `CN=<host id>`
// (a lower-case UUID, as hosts.ts mints them); any other certificate from the CA is refused.
import { X509Certificate, type KeyObject } from 'node:crypto'
import { isIssuedByAny } from '../common/pki.js'

export interface HostCertificate {
  /** The certificate's CN: the host id. */
  hostId: string
  publicKey: KeyObject
  /** Validity window, epoch ms: valid for notBefore <= now < notAfter. */
  notBefore: number
  notAfter: number
}

export type CertificateCheck =
  | { ok: true; certificate: HostCertificate }
  | { ok: false; reason: 'unreadable' | 'untrusted' | 'not-a-host-certificate' }

export interface HostCertificateOptions {
  /** The CA bundle: a certificate from any CA of it passes (after a rotation, hosts that have
   * not renewed yet hold one from the previous CA; once it is retired, it leaves the bundle). */
  caCertPem: string
  /** How many certificates to remember (least recently used leave first). Default 10,000. */
  max?: number
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const HOST_SUBJECT = /^CN=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

/** The host id a certificate names, if it is a host certificate (clientAuth, `CN=<uuid>`). */
export function hostIdOf(cert: X509Certificate): string | undefined {
  // Node's `keyUsage` lists the extended key usages (undefined when the extension is absent).
  if (!cert.keyUsage?.includes(CLIENT_AUTH)) return undefined
  return HOST_SUBJECT.exec(cert.subject)?.[1]
}

function parse(der: Buffer, caCertPem: string, now: number): CertificateCheck {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(der)
  } catch {
    return { ok: false, reason: 'unreadable' }
  }
  if (!isIssuedByAny(cert.toString(), caCertPem, now)) return { ok: false, reason: 'untrusted' }
  const hostId = hostIdOf(cert)
  if (hostId === undefined) return { ok: false, reason: 'not-a-host-certificate' }
  return {
    ok: true,
    certificate: {
      hostId,
      publicKey: cert.publicKey,
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
    },
  }
}

export function createHostCertificates({ caCertPem, max = 10_000 }: HostCertificateOptions) {
  const known = new Map<string, HostCertificate>()

  /**
   * The host certificate of an `x5c` entry (base64 DER) or a TLS peer's DER, if it chains to the
   * CA, is a host certificate and is valid at `now`.
   */
  return function checkCertificate(x5c: string | Buffer, now: number): CertificateCheck {
    const key = typeof x5c === 'string' ? x5c : x5c.toString('base64')
    const hit = known.get(key)
    if (hit) {
      if (hit.notBefore <= now && now < hit.notAfter) {
        known.delete(key)
        known.set(key, hit)
        return { ok: true, certificate: hit }
      }
      known.delete(key)
      return { ok: false, reason: 'untrusted' }
    }
    const checked = parse(Buffer.from(key, 'base64'), caCertPem, now)
    if (checked.ok && max > 0) {
      known.set(key, checked.certificate)
      if (known.size > max) known.delete(known.keys().next().value!)
    }
    return checked
  }
}

export type CheckHostCertificate = ReturnType<typeof createHostCertificates>
