// Keyless's certificate authority: a local root that signs the TLS certificate of the server
// (and, for agents, host certificates). Built on @peculiar/x509 over WebCrypto; ECDSA P-256
// keeps keys small and signing fast, and every TLS client in use accepts it.
import { webcrypto, randomBytes, X509Certificate as NodeX509 } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as never)

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const
const DAY = 86_400_000

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

export async function createCertificateAuthority(
  commonName: string,
  { now, validityDays }: IssueOptions,
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
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
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
    notBefore: new Date(options.now - 60_000),
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
