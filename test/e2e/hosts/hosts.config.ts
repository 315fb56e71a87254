// A stand-in agent for the host-protocol tests: its own key pair, enrollment, and client
// assertions built with jose exactly as the protocol in src/common/agent-protocol.ts says.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import {
  createCertificateAuthority,
  issueCertificate,
  LOCAL_NAMES,
} from '../../../src/common/pki.js'
import type { KeylessProcess } from '../../helpers/keyless.js'
import { form, https, type HttpResult } from '../../helpers/https.js'

export interface TestHost {
  hostId: string
  certificate: string
  privateKey: KeyObject
  publicKeyPem: string
  tokenEndpoint: string
  eventsUrl: string
}

export function newKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export async function enroll(k: KeylessProcess, joinToken: string): Promise<TestHost> {
  const { privateKey, publicKeyPem } = newKeyPair()
  const res = await https(`${k.endpoints.authorityHost}/keyless/v1/hosts/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ joinToken, name: 'test-host', publicKey: publicKeyPem }),
    ca: k.ca,
  })
  if (res.status !== 201) throw new Error(`enroll failed: ${res.status} ${res.text}`)
  const body = res.json()
  return { ...body, privateKey, publicKeyPem }
}

/** A client certificate naming `hostId` from a CA that is not Keyless's, and its key. */
export async function foreignCertificate(hostId: string) {
  const foreignCa = await createCertificateAuthority('Mallory CA', {
    now: Date.now(),
    validityDays: 1,
    permitted: LOCAL_NAMES,
  })
  const keys = newKeyPair()
  const cert = await issueCertificate(foreignCa, {
    commonName: hostId,
    usage: 'client',
    publicKeyPem: keys.publicKeyPem,
    now: Date.now(),
    validityDays: 1,
  })
  return { certPem: cert.certPem, privateKey: keys.privateKey }
}

export function der(certPem: string): string {
  return certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
}

export function assertion(
  host: TestHost,
  audience: string,
  options: {
    key?: KeyObject
    iat?: number
    exp?: number
    jti?: string
    iss?: string
    cert?: string
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ jti: options.jti ?? randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [der(options.cert ?? host.certificate)] })
    .setIssuer(options.iss ?? host.hostId)
    .setSubject(options.iss ?? host.hostId)
    .setAudience(audience)
    .setIssuedAt(options.iat ?? now)
    .setNotBefore(options.iat ?? now)
    .setExpirationTime(options.exp ?? now + 300)
    .sign(options.key ?? host.privateKey)
}

export async function identityToken(
  k: KeylessProcess,
  host: TestHost,
  caller: string,
  extra: Record<string, string> = {},
  signed?: string,
): Promise<HttpResult> {
  return https(host.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({
      grant_type: 'client_credentials',
      client_id: host.hostId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: signed ?? (await assertion(host, host.tokenEndpoint)),
      scope: 'https://vault.azure.net/.default',
      xms_az_rid: caller,
      ...extra,
    }),
    ca: k.ca,
  })
}
