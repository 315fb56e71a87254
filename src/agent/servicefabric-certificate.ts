// The certificate of the Service Fabric endpoints (servicefabric.crt/.key in the state
// directory): self-signed, named by its SHA-1 thumbprint in IDENTITY_SERVER_THUMBPRINT as Service
// Fabric names its token service's certificate. Kept across restarts so restored runs' variables
// stay valid; replaced 30 days before it expires. Clients: msal-node and @azure/identity do not
// pin the thumbprint, so Node must trust the certificate (servicefabric-trust.pem: it plus the
// Keyless CA, for NODE_EXTRA_CA_CERTS); Python azure-identity does not verify it at all.
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic, writeSecretFile } from '../common/files.js'
import { createSelfSignedServerCertificate } from '../common/pki.js'
import { credentialPaths } from './credential-files.js'

const VALIDITY_DAYS = 365
const RENEW_BEFORE_MS = 30 * 86_400_000

export interface EndpointCertificate {
  certPem: string
  keyPem: string
  /** SHA-1 of the DER, upper-case hex without separators (.NET's `GetCertHashString()`). */
  thumbprint: string
  /** The certificate and the Keyless CA, for NODE_EXTRA_CA_CERTS. */
  trustFile: string
}

export const thumbprintOf = (certPem: string): string =>
  new X509Certificate(certPem).fingerprint.replaceAll(':', '')

function usable(certPem: string, host: string, now: number): boolean {
  const cert = new X509Certificate(certPem)
  return Date.parse(cert.validTo) - RENEW_BEFORE_MS > now && cert.checkIP(host) !== undefined
}

export async function loadEndpointCertificate(
  stateDir: string,
  host: string,
  now: number,
): Promise<EndpointCertificate> {
  const certFile = join(stateDir, 'servicefabric.crt')
  const keyFile = join(stateDir, 'servicefabric.key')
  let pair: { certPem: string; keyPem: string } | undefined
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certPem = readFileSync(certFile, 'utf8')
    if (usable(certPem, host, now)) pair = { certPem, keyPem: readFileSync(keyFile, 'utf8') }
  }
  if (!pair) {
    pair = await createSelfSignedServerCertificate('Keyless Service Fabric token service', {
      now,
      validityDays: VALIDITY_DAYS,
      ipAddresses: [host],
    })
    writeSecretFile(keyFile, pair.keyPem)
    writeFileAtomic(certFile, pair.certPem)
  }
  const ca = credentialPaths(stateDir).ca
  const trustFile = join(stateDir, 'servicefabric-trust.pem')
  const caPem = existsSync(ca) ? readFileSync(ca, 'utf8') : ''
  writeFileAtomic(trustFile, pair.certPem.trimEnd() + '\n' + caPem)
  return { ...pair, thumbprint: thumbprintOf(pair.certPem), trustFile }
}
