// The server's TLS certificate, wherever it is kept (data-dir.ts for `keyless up`,
// cluster-state.ts for replicas): how it is made, and when a kept one can still be served; the
// names a kept CA may certify.
import {
  describeCertificate,
  isIssuedBy,
  issueCertificate,
  namesOutside,
  permittedNames,
  type NameScope,
  type PemPair,
} from '../common/pki.js'

const DAY = 86_400_000

export type TlsNames = NameScope

/** Loopback names always; the bind address too when it is a specific one; with a vault host
 * suffix, every vault's name under it. */
export function tlsNames(host: string, vaultHostSuffix?: string): TlsNames {
  const ipAddresses = ['127.0.0.1', '::1']
  const dnsNames = ['localhost']
  if (vaultHostSuffix) dnsNames.push(vaultHostSuffix, `*.${vaultHostSuffix}`)
  const wildcard = host === '0.0.0.0' || host === '::'
  if (!wildcard && !ipAddresses.includes(host)) {
    ;(/^[\d.:]+$/.test(host) ? ipAddresses : dnsNames).push(host)
  }
  return { dnsNames, ipAddresses }
}

/** The names of `names` a kept CA may not certify (its name constraint predates them). */
export function namesTheCaCannotCertify(caCertPem: string, names: TlsNames): string[] {
  const scope = permittedNames(caCertPem)
  return scope === undefined ? [] : namesOutside(scope, names)
}

/** A kept certificate is served while it has a month left, covers every name and was signed
 * by the CA that is to sign it (ca-set.ts tlsIssuer: a rotation or retirement moves it). */
export function certificateStillServes(
  certPem: string,
  names: TlsNames,
  now: number,
  issuer: PemPair,
): boolean {
  const facts = describeCertificate(certPem)
  return (
    facts.notAfter - now > 30 * DAY &&
    isIssuedBy(certPem, issuer.certPem, now) &&
    names.dnsNames.every((n) => facts.dnsNames.includes(n)) &&
    names.ipAddresses.every((n) => facts.ipAddresses.includes(n))
  )
}

export async function newTlsCertificate(
  ca: PemPair,
  names: TlsNames,
  now: number,
): Promise<PemPair> {
  const leaf = await issueCertificate(ca, {
    commonName: names.dnsNames[0] ?? 'localhost',
    ...names,
    usage: 'server',
    now,
    validityDays: 365,
  })
  return { certPem: leaf.certPem, keyPem: leaf.keyPem! }
}
