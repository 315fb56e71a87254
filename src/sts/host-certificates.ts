// Host certificates as client assertions present them (`x5c`), parsed and chained to the Keyless
// CA once per certificate instead of once per request: an agent sends the same certificate with
// every token request until it renews. Only a certificate that parsed and chained is remembered,
// keyed by its exact base64 DER; what depends on time (the validity window) is checked on every
// use, and what depends on state (the host's revocation) is left to the caller, per request.
import { X509Certificate, type KeyObject } from 'node:crypto'
import { isIssuedBy } from '../common/pki.js'

export interface HostCertificate {
  /** The certificate's CN: the host id. */
  hostId: string
  publicKey: KeyObject
  /** Validity window, epoch ms: valid for notBefore <= now < notAfter. */
  notBefore: number
  notAfter: number
}

export type CertificateCheck =
  { ok: true; certificate: HostCertificate } | { ok: false; reason: 'unreadable' | 'untrusted' }

export interface HostCertificateOptions {
  caCertPem: string
  /** How many certificates to remember (least recently used leave first). Default 10,000. */
  max?: number
}

function parse(x5c: string, caCertPem: string, now: number): CertificateCheck {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(Buffer.from(x5c, 'base64'))
  } catch {
    return { ok: false, reason: 'unreadable' }
  }
  if (!isIssuedBy(cert.toString(), caCertPem, now)) return { ok: false, reason: 'untrusted' }
  return {
    ok: true,
    certificate: {
      hostId: /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? '',
      publicKey: cert.publicKey,
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
    },
  }
}

export function createHostCertificates({ caCertPem, max = 10_000 }: HostCertificateOptions) {
  const known = new Map<string, HostCertificate>()

  /** The certificate of an `x5c` entry if it chains to the CA and is valid at `now`. */
  return function checkCertificate(x5c: string, now: number): CertificateCheck {
    const hit = known.get(x5c)
    if (hit) {
      if (hit.notBefore <= now && now < hit.notAfter) {
        known.delete(x5c)
        known.set(x5c, hit)
        return { ok: true, certificate: hit }
      }
      known.delete(x5c)
      return { ok: false, reason: 'untrusted' }
    }
    const checked = parse(x5c, caCertPem, now)
    if (checked.ok && max > 0) {
      known.set(x5c, checked.certificate)
      if (known.size > max) known.delete(known.keys().next().value!)
    }
    return checked
  }
}

export type CheckHostCertificate = ReturnType<typeof createHostCertificates>
