// Reading the server's answers to enrollment and renewal (common/agent-protocol.ts), and the
// host credential the rest of the agent uses: the key paired with the certificate it certifies.
import { X509Certificate, type KeyObject } from 'node:crypto'
import type { HostCredentialResponse } from '../common/agent-protocol.js'
import type { AssertionSigner } from './assertion.js'
import type { StoredCredential } from './credential-files.js'

export interface HostCredential extends AssertionSigner {
  tenantId: string
  certificatePem: string
  caCertificatePem: string
  /** Epoch ms. */
  notBefore: number
  notAfter: number
  tokenEndpoint: string
  eventsUrl: string
  /** Origin of the server (enrollment and renewal). */
  serverUrl: string
  /** The host's own machine resource (Arc), served on the machine listener. */
  machineResourceId?: string
}

export class EnrollmentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EnrollmentError'
  }
}

/** Checks the server's answer and pairs it with the key it certifies. */
export function toCredential(stored: StoredCredential, privateKey: KeyObject): HostCredential {
  const cert = new X509Certificate(stored.certificate)
  if (!cert.checkPrivateKey(privateKey)) {
    throw new EnrollmentError('the host certificate does not certify the host key')
  }
  return {
    hostId: stored.hostId,
    tenantId: stored.tenantId,
    privateKey,
    certificateDer: cert.raw.toString('base64'),
    certificatePem: stored.certificate,
    caCertificatePem: stored.caCertificate,
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    tokenEndpoint: stored.tokenEndpoint,
    eventsUrl: stored.eventsUrl,
    serverUrl: stored.serverUrl,
    ...(stored.machineResourceId ? { machineResourceId: stored.machineResourceId } : {}),
  }
}

export function fromResponse(text: string, serverUrl: string): Omit<StoredCredential, 'keyFile'> {
  let r: Partial<HostCredentialResponse>
  try {
    r = JSON.parse(text) as Partial<HostCredentialResponse>
  } catch {
    throw new EnrollmentError('the server answered enrollment with something other than JSON')
  }
  for (const k of [
    'hostId',
    'tenantId',
    'certificate',
    'caCertificate',
    'tokenEndpoint',
    'eventsUrl',
  ] as const) {
    if (typeof r[k] !== 'string' || r[k] === '')
      throw new EnrollmentError(`the server's answer lacks ${k}`)
  }
  const c = r as HostCredentialResponse
  for (const url of [c.tokenEndpoint, c.eventsUrl]) {
    if (!/^https:\/\//.test(url))
      throw new EnrollmentError(`the server handed out a non-https URL: ${url}`)
  }
  return {
    version: 1,
    hostId: c.hostId,
    tenantId: c.tenantId,
    certificate: c.certificate,
    caCertificate: c.caCertificate,
    tokenEndpoint: c.tokenEndpoint,
    eventsUrl: c.eventsUrl,
    serverUrl,
    ...(typeof c.machineResourceId === 'string' && c.machineResourceId
      ? { machineResourceId: c.machineResourceId }
      : {}),
  }
}

export function refusal(what: string, status: number, text: string): EnrollmentError {
  let detail = text.slice(0, 300)
  try {
    const b = JSON.parse(text) as Record<string, unknown>
    const inner = b.error as Record<string, unknown> | string | undefined
    detail = String(
      b.error_description ??
        (typeof inner === 'object' ? inner?.message : inner) ??
        b.message ??
        detail,
    )
  } catch {
    // not JSON: keep the text
  }
  return new EnrollmentError(`${what} refused (${status}): ${detail.split('\r\n')[0]}`)
}
