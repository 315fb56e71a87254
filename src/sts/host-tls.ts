// Authenticating an agent host by its TLS client certificate (RFC 8705 §2.1, tls_client_auth):
// the host certificate, presented in the handshake of a kept-alive connection, is checked once
// per connection (chain to the Keyless CA, clientAuth usage, `CN=<host id>`: host-certificates.ts)
// and remembered with the socket; every request on it still checks the validity window and the
// host's current state, so a revocation cuts the connection's next request off.
//
// The listener asks for a client certificate but does not require one (`requestCert` without
// `rejectUnauthorized`): SDK clients with secrets, and agents with assertions, connect as before.
import type { Socket } from 'node:net'
import { TLSSocket } from 'node:tls'
import { oauthError } from '../common/oauth-error.js'
import type { Clock } from '../domain/clock.js'
import type { CertificateCheck, CheckHostCertificate } from './host-certificates.js'
import { activeHost, type HostLookup } from './host-assertion.js'

/** The connection a request came on. */
export type TlsPeer = Socket

export interface TlsHostAuthOptions {
  checkCertificate: CheckHostCertificate
  clock: Clock
}

export function createTlsHostAuthenticator(o: TlsHostAuthOptions) {
  // Per connection: the check of its certificate, or null when it presented none.
  const connections = new WeakMap<Socket, CertificateCheck | null>()

  function checkOf(peer: TlsPeer): CertificateCheck | null {
    let check = connections.get(peer)
    if (check === undefined) {
      const raw = peer instanceof TLSSocket ? peer.getPeerCertificate().raw : undefined
      check = raw ? o.checkCertificate(raw, o.clock.now()) : null
      connections.set(peer, check)
    }
    return check
  }

  async function authenticateTlsHost(peer: TlsPeer, fetchHost: HostLookup) {
    const check = checkOf(peer)
    const now = o.clock.now()
    if (!check?.ok) {
      throw oauthError(
        401,
        'invalid_client',
        700027,
        'The TLS client certificate is not a valid Keyless host certificate.',
      )
    }
    const { certificate } = check
    if (now < certificate.notBefore || now >= certificate.notAfter) {
      throw oauthError(
        401,
        'invalid_client',
        700027,
        'The TLS client certificate is not valid now.',
      )
    }
    return activeHost(certificate.hostId, fetchHost)
  }

  /** Whether the connection presented a client certificate (good or bad). */
  authenticateTlsHost.presents = (peer: TlsPeer): boolean => checkOf(peer) !== null
  return authenticateTlsHost
}

export type TlsHostAuthenticator = ReturnType<typeof createTlsHostAuthenticator>
