// The installation's CA set: the active CA, which signs host certificates, and at most one
// previous CA, still trusted until it is retired. Rotation publishes a new CA beside the old;
// retirement drops the old. Where the set is kept (ca-files.ts for a data directory,
// cluster-state.ts for replicas) is apart from these rules.
//
// While a previous CA is in the set, the server's TLS certificate stays one the previous CA
// signed: agents and workloads that have not fetched the new bundle yet trust only the old CA,
// and an agent that cannot open a connection could never learn the new one. Every bundle handed
// out since the rotation holds both, so once the agents moved over (their host certificates
// are from the active CA) retiring the previous one and re-issuing the TLS certificate under the
// active CA cuts nobody off.
import { X509Certificate } from 'node:crypto'
import {
  createCertificateAuthority,
  installationNameScope,
  permittedNames,
  splitCertificates,
  type NameScope,
  type PemPair,
} from '../common/pki.js'
import { namesTheCaCannotCertify } from './tls-material.js'

export interface CaSet {
  active: PemPair
  /** The CA before the last rotation, trusted until retired. */
  previous?: PemPair
}

export const CA_COMMON_NAME = 'Keyless Local CA'
const CA_VALIDITY_DAYS = 3650

/** The certificates everyone trusts, active first (ca.crt, NODE_EXTRA_CA_CERTS, agents). */
export function caBundle(set: CaSet): string {
  const certs = [set.active.certPem, ...(set.previous ? [set.previous.certPem] : [])]
  return certs.map((c) => c.trim()).join('\n') + '\n'
}

/** The CA that signs the server's TLS certificate: the one every client trusts (see above),
 * unless its name constraint predates `names` (a rotation made to add a name). */
export function tlsIssuer(set: CaSet, names: NameScope): PemPair {
  const usable = set.previous && namesTheCaCannotCertify(set.previous.certPem, names).length === 0
  return usable ? set.previous! : set.active
}

/** The subject of a CA certificate, e.g. `CN=Keyless Local CA 2`. */
export function caSubject(certPem: string): string {
  return new X509Certificate(certPem).subject
}

/** A rotated CA gets a distinct name, so that certificates and logs tell the two apart:
 * "Keyless Local CA" → "Keyless Local CA 2" → "… CA 3". */
export function nextCaName(activeCertPem: string): string {
  const cn = /^CN=(.*)$/m.exec(caSubject(activeCertPem))?.[1] ?? CA_COMMON_NAME
  const m = /^(.*) (\d+)$/.exec(cn)
  return m ? `${m[1]} ${Number(m[2]) + 1}` : `${cn} 2`
}

/** A first CA, constrained to the installation's names (pki installationNameScope). */
export function newCertificateAuthority(
  now: number,
  names: NameScope,
  commonName = CA_COMMON_NAME,
): Promise<PemPair> {
  return createCertificateAuthority(commonName, {
    now,
    validityDays: CA_VALIDITY_DAYS,
    permitted: installationNameScope(names),
  })
}

export class CaRotationRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CaRotationRefused'
  }
}

/**
 * The set after a rotation: a new CA, constrained to what the active one may certify plus
 * `names` (so a rotation is also how an installation's CA learns a new name), active; the
 * active one previous. One rotation at a time: a set that still has a previous CA is refused.
 */
export async function rotatedCaSet(set: CaSet, now: number, names: NameScope): Promise<CaSet> {
  if (set.previous) {
    throw new CaRotationRefused(
      `a rotation is in progress: ${caSubject(set.previous.certPem)} is still trusted; ` +
        'retire it first',
    )
  }
  const kept = permittedNames(set.active.certPem)
  const scope: NameScope = {
    dnsNames: [...new Set([...(kept?.dnsNames ?? []), ...names.dnsNames])],
    ipAddresses: [
      ...new Set([
        ...(kept?.ipAddresses ?? []).map((ip) => ip.replace(/\/\d+$/, '')),
        ...names.ipAddresses,
      ]),
    ],
  }
  const active = await newCertificateAuthority(now, scope, nextCaName(set.active.certPem))
  return { active, previous: set.active }
}

/** The set after retirement: the active CA alone. */
export function retiredCaSet(set: CaSet): CaSet {
  if (!set.previous) throw new CaRotationRefused('there is no previous CA to retire')
  return { active: set.active }
}

/** A bundle's certificates, checked to be there at all. */
export function bundleCertificates(bundlePem: string, file: string): string[] {
  const certs = splitCertificates(bundlePem)
  if (certs.length === 0) throw new TypeError(`${file} holds no certificate`)
  return certs
}
