// Keyless's certificate authority: a local root that signs the TLS certificate of the server
// (and, for agents, host certificates). Built on @peculiar/x509 over WebCrypto; ECDSA P-256
// keeps keys small and signing fast, and every TLS client in use accepts it.
import { webcrypto, randomBytes, X509Certificate as NodeX509 } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import {
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  id_ce_nameConstraints,
  NameConstraints,
} from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as never)

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const
const DAY = 86_400_000
/**
 * How far back a certificate that other machines check against their own clocks (the CA, a
 * server's TLS certificate) is valid from: an agent whose clock is behind the server's must
 * still trust a certificate made a moment ago (the fleet test skews agents by ±2 minutes).
 * Let's Encrypt backdates by one hour for the same reason. A client certificate is checked
 * only by the server that issued it, on its own clock, and keeps a minute, so that an agent's
 * renewal at two thirds of the lifetime stays where it was.
 */
const SKEW_ALLOWANCE_MS = 3_600_000
const CLIENT_BACKDATE_MS = 60_000

export interface PemPair {
  certPem: string
  keyPem: string
}

export interface IssueOptions {
  /** Issue time in epoch ms (injected clock). */
  now: number
  validityDays: number
}

function serial(): string {
  // Positive 128-bit serial: clear the top bit so DER does not read it as negative.
  const b = randomBytes(16)
  b[0] = b[0]! & 0x7f
  return b.toString('hex')
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key)
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]!
  return (await webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign'])) as CryptoKey
}

function generateEcKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>
}

/** Names a certificate covers, or a CA may certify. */
export interface NameScope {
  dnsNames: string[]
  ipAddresses: string[]
}

/**
 * What a Keyless CA may certify: loopback, the IMDS address, and the installation's own names.
 * A name constraint (RFC 5280 §4.2.1.10) holds a CA to these, so whoever reads its key still
 * cannot mint a certificate for another site that a workload trusting the CA would accept.
 */
export function installationNameScope(names: NameScope): NameScope {
  const dns = new Set(['localhost'])
  for (const n of names.dnsNames) dns.add(n.toLowerCase().replace(/^\*\./, ''))
  const ips = new Set(['127.0.0.1', '::1', '169.254.169.254', ...names.ipAddresses])
  return { dnsNames: [...dns], ipAddresses: [...ips] }
}

/** Loopback and IMDS only: CAs of tests and of hosts' own fakes. */
export const LOCAL_NAMES: NameScope = installationNameScope({ dnsNames: [], ipAddresses: [] })

function nameConstraints(scope: NameScope): x509.Extension {
  const subtree = (base: GeneralName) => new GeneralSubtree({ base })
  const permitted = new GeneralSubtrees([
    ...scope.dnsNames.map((dNSName) => subtree(new GeneralName({ dNSName }))),
    ...scope.ipAddresses.map((ip) =>
      subtree(new GeneralName({ iPAddress: `${ip}/${ip.includes(':') ? 128 : 32}` })),
    ),
  ])
  const der = AsnConvert.serialize(new NameConstraints({ permittedSubtrees: permitted }))
  return new x509.Extension(id_ce_nameConstraints, true, der)
}

/** The names a CA is constrained to, or undefined for a CA without a name constraint. */
export function permittedNames(caCertPem: string): NameScope | undefined {
  const ext = new x509.X509Certificate(caCertPem).extensions.find(
    (e) => e.type === id_ce_nameConstraints,
  )
  if (ext === undefined) return undefined
  const nc = AsnConvert.parse(ext.value, NameConstraints)
  const bases = Array.from(nc.permittedSubtrees ?? [], (t) => t.base)
  return {
    dnsNames: bases.flatMap((b) => (b.dNSName === undefined ? [] : [b.dNSName])),
    ipAddresses: bases.flatMap((b) => (b.iPAddress === undefined ? [] : [b.iPAddress])),
  }
}

/** The names of `wanted` that a CA constrained to `scope` cannot certify. */
export function namesOutside(scope: NameScope, wanted: NameScope): string[] {
  const dnsOk = (n: string) => {
    const name = n.toLowerCase().replace(/^\*\./, '')
    return scope.dnsNames.some((d) => name === d || name.endsWith(`.${d}`))
  }
  const ipOk = (ip: string) =>
    scope.ipAddresses.some((p) => p.replace(/\/\d+$/, '') === ip && /\/(32|128)$/.test(p))
  return [
    ...wanted.dnsNames.filter((n) => !dnsOk(n)),
    ...wanted.ipAddresses.filter((n) => !ipOk(n)),
  ]
}

export interface AuthorityOptions extends IssueOptions {
  /** The only names the CA may certify (see installationNameScope). */
  permitted: NameScope
}

export async function createCertificateAuthority(
  commonName: string,
  { now, validityDays, permitted }: AuthorityOptions,
): Promise<PemPair> {
  const keys = await generateEcKeys()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - SKEW_ALLOWANCE_MS),
    notAfter: new Date(now + validityDays * DAY),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      nameConstraints(permitted),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) }
}

/**
 * A self-signed server certificate that is its own trust anchor (keyCertSign: it signs itself,
 * CA:false: it signs nothing else). For an endpoint whose clients are told its thumbprint, as
 * Service Fabric's token service (IDENTITY_SERVER_THUMBPRINT), rather than a chain.
 */
export async function createSelfSignedServerCertificate(
  commonName: string,
  { now, validityDays, ipAddresses }: IssueOptions & { ipAddresses: string[] },
): Promise<PemPair> {
  const keys = await generateEcKeys()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validityDays * DAY),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        ipAddresses.map((value) => ({ type: 'ip' as const, value })),
        false,
      ),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) }
}

export interface LeafOptions extends IssueOptions {
  commonName: string
  dnsNames?: string[]
  ipAddresses?: string[]
  usage: 'server' | 'client'
  /** Subject public key; generated (and returned) when absent. */
  publicKeyPem?: string
}

export interface IssuedLeaf {
  certPem: string
  /** Present only when the key pair was generated here. */
  keyPem?: string
}

/** Issues a leaf certificate signed by the CA. */
export async function issueCertificate(ca: PemPair, options: LeafOptions): Promise<IssuedLeaf> {
  const caCert = new x509.X509Certificate(ca.certPem)
  const caKey = await importKeyPem(ca.keyPem)
  let publicKey: CryptoKey
  let keyPem: string | undefined
  if (options.publicKeyPem) {
    publicKey = await new x509.PublicKey(x509.PemConverter.decode(options.publicKeyPem)[0]!).export(
      webcrypto as never,
    )
  } else {
    const keys = await generateEcKeys()
    publicKey = keys.publicKey
    keyPem = await exportKeyPem(keys.privateKey)
  }
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(
      options.now - (options.usage === 'server' ? SKEW_ALLOWANCE_MS : CLIENT_BACKDATE_MS),
    ),
    notAfter: new Date(options.now + options.validityDays * DAY),
    signingAlgorithm: SIGNING,
    publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [
          options.usage === 'server'
            ? x509.ExtendedKeyUsage.serverAuth
            : x509.ExtendedKeyUsage.clientAuth,
        ],
        false,
      ),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem }
}

export interface CertificateFacts {
  notAfter: number
  dnsNames: string[]
  ipAddresses: string[]
}

export function describeCertificate(certPem: string): CertificateFacts {
  const cert = new x509.X509Certificate(certPem)
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension)
  const entries = san?.names.items ?? []
  return {
    notAfter: cert.notAfter.getTime(),
    dnsNames: entries.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: entries.filter((n) => n.type === 'ip').map((n) => n.value),
  }
}

/** True when `certPem` was signed by the CA and is valid at `now`. */
export function isIssuedBy(certPem: string, caCertPem: string, now: number): boolean {
  const cert = new NodeX509(certPem)
  const ca = new NodeX509(caCertPem)
  const valid = Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo)
  return valid && cert.checkIssued(ca) && cert.verify(ca.publicKey)
}

/** The certificates of a PEM bundle (a CA set: the active CA first), each as its own PEM. */
export function splitCertificates(bundlePem: string): string[] {
  return bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
}

/** True when `certPem` was signed by any CA of the bundle and is valid at `now`. */
export function isIssuedByAny(certPem: string, bundlePem: string, now: number): boolean {
  return splitCertificates(bundlePem).some((ca) => isIssuedBy(certPem, ca, now))
}
