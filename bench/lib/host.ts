// An agent host as the benchmark plays it: enrolled with a join token, holding its key and
// certificate, and signing client assertions (ES256, x5c) ahead of time with raw crypto, so the
// load generator only replays bytes.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { compactJws, hostAssertionClaims } from '../../test/helpers/jws.js'
import type { Client, Keyless } from './keyless.js'

export interface Host {
  hostId: string
  certificate: string
  tokenEndpoint: string
  privateKey: KeyObject
}

export async function enrollHost(k: Keyless, c: Client, operator: string): Promise<Host> {
  const join = await c.send('POST', `${k.endpoints.managementEndpoint}/keyless/v1/joinTokens`, {
    authorization: `Bearer ${operator}`,
  })
  if (join.status >= 300) throw new Error(`join token: ${join.status} ${join.text}`)
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const res = await c.send(
    'POST',
    `${k.endpoints.authorityHost}/keyless/v1/hosts/enroll`,
    { 'content-type': 'application/json' },
    JSON.stringify({
      joinToken: join.json().token,
      name: 'bench-host',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    }),
  )
  if (res.status !== 201) throw new Error(`enroll: ${res.status} ${res.text}`)
  const body = res.json()
  return {
    hostId: body.hostId,
    certificate: body.certificate,
    tokenEndpoint: body.tokenEndpoint,
    privateKey,
  }
}

/** Client assertions, each with its own jti (the server accepts every assertion once). */
export function signAssertions(host: Host, n: number): string[] {
  const x5c = host.certificate.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  const header = { alg: 'ES256', typ: 'JWT', x5c: [x5c] }
  const now = Math.floor(Date.now() / 1000)
  const out: string[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const claims = hostAssertionClaims(host.hostId, host.tokenEndpoint, now, 540)
    out[i] = compactJws(header, claims, host.privateKey)
  }
  return out
}

/**
 * The form an agent posts for a managed-identity token of `resourceId`: with a client
 * assertion, or without one when the connection carries the host certificate (RFC 8705).
 */
export function identityTokenForm(
  host: Host,
  assertion: string | undefined,
  resourceId: string,
): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: host.hostId,
    ...(assertion !== undefined
      ? {
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }
      : {}),
    scope: 'https://vault.azure.net/.default',
    xms_az_rid: resourceId,
  }).toString()
}

/** The host certificate and key as a TLS client presents them. */
export const tlsClientCertificate = (host: Host) => ({
  cert: host.certificate,
  key: host.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
})
