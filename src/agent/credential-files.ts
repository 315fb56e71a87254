// The host credential on disk, in the agent's state directory (0700):
//   host-<thumbprint>.key  the private key, PKCS#8 PEM, 0600
//   host.json              hostId, tenant, URLs, certificate and the name of the key file
//   host.crt, ca.crt       the certificate and the Keyless CA bundle (active CA first, then
//                          the previous one during a CA rotation), for people and `keyless run`
//   ca-bundle.pem          the public roots plus the Keyless CA: SSL_CERT_FILE and
//                          REQUESTS_CA_BUNDLE replace a program's roots, so they get both
// A renewal writes the new key under a new name first and then replaces host.json atomically,
// so a crash at any point leaves a matching key and certificate behind.
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { writeFileAtomic, writeSecretFile } from '../common/files.js'

export interface StoredCredential {
  version: 1
  hostId: string
  tenantId: string
  certificate: string
  caCertificate: string
  tokenEndpoint: string
  eventsUrl: string
  /** Origin the agent enrolled with. */
  serverUrl: string
  /** The host's Microsoft.HybridCompute/machines resource, if it has one. */
  machineResourceId?: string
  keyFile: string
  revoked?: boolean
}

export const credentialPaths = (stateDir: string) => ({
  metadata: join(stateDir, 'host.json'),
  certificate: join(stateDir, 'host.crt'),
  ca: join(stateDir, 'ca.crt'),
  caBundle: join(stateDir, 'ca-bundle.pem'),
})

export function loadStoredCredential(
  stateDir: string,
): { stored: StoredCredential; privateKey: KeyObject } | undefined {
  const paths = credentialPaths(stateDir)
  if (!existsSync(paths.metadata)) return undefined
  const stored = JSON.parse(readFileSync(paths.metadata, 'utf8')) as StoredCredential
  if (stored.version !== 1 || !/^host-[0-9a-f]+\.key$/.test(stored.keyFile)) {
    throw new TypeError(`${paths.metadata} is not a host credential this agent understands`)
  }
  const privateKey = createPrivateKey(readFileSync(join(stateDir, stored.keyFile), 'utf8'))
  return { stored, privateKey }
}

export function saveCredential(
  stateDir: string,
  fields: Omit<StoredCredential, 'keyFile'>,
  privateKey: KeyObject,
): StoredCredential {
  const paths = credentialPaths(stateDir)
  const previous = existsSync(paths.metadata)
    ? (JSON.parse(readFileSync(paths.metadata, 'utf8')) as StoredCredential).keyFile
    : undefined
  const spki = privateKey.export({ type: 'pkcs8', format: 'der' })
  const keyFile = `host-${createHash('sha256').update(spki).digest('hex').slice(0, 16)}.key`
  writeSecretFile(join(stateDir, keyFile), privateKey.export({ type: 'pkcs8', format: 'pem' }))
  const stored: StoredCredential = { ...fields, keyFile }
  writeSecretFile(paths.metadata, JSON.stringify(stored, null, 2) + '\n')
  writeFileAtomic(paths.certificate, fields.certificate)
  saveCaBundle(stateDir, fields.caCertificate)
  if (previous && previous !== keyFile && /^host-[0-9a-f]+\.key$/.test(previous)) {
    rmSync(join(stateDir, previous), { force: true })
  }
  return stored
}

/** The installation's CA bundle as runs read it (ca.crt, ca-bundle.pem): rewritten when the
 * server hands out another (enrollment, renewal, a CA rotation: ca-watch.ts). */
export function saveCaBundle(stateDir: string, caPem: string): void {
  const paths = credentialPaths(stateDir)
  writeFileAtomic(paths.ca, caPem)
  writeFileAtomic(paths.caBundle, [...rootCertificates, caPem.trim()].join('\n') + '\n')
}

export function saveRevoked(stateDir: string): void {
  const paths = credentialPaths(stateDir)
  if (!existsSync(paths.metadata)) return
  const stored = JSON.parse(readFileSync(paths.metadata, 'utf8')) as StoredCredential
  writeSecretFile(paths.metadata, JSON.stringify({ ...stored, revoked: true }, null, 2) + '\n')
}

/**
 * The server may come back on another address (`keyless up --port 0`): URLs that were on the
 * old server address follow the one given now.
 */
export function rebase(stored: StoredCredential, origin: string): StoredCredential {
  if (stored.serverUrl === origin) return stored
  const move = (url: string) => {
    const u = new URL(url)
    return u.origin === stored.serverUrl ? origin + u.pathname + u.search : url
  }
  return {
    ...stored,
    serverUrl: origin,
    tokenEndpoint: move(stored.tokenEndpoint),
    eventsUrl: move(stored.eventsUrl),
  }
}
