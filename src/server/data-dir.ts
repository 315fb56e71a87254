// The data directory's fixed files: the master key that encrypts signing keys at rest, the local
// CA set (ca-files.ts) and the server's TLS certificate. Each is created on first start and
// reused afterwards; the TLS certificate is re-issued when it nears expiry or lacks a name.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { PemPair } from '../common/pki.js'
import {
  certificateStillServes,
  namesTheCaCannotCertify,
  newTlsCertificate,
  type TlsNames,
} from './tls-material.js'
import { newCertificateAuthority, tlsIssuer, type CaSet } from './ca-set.js'
import { readCaSet, writeFirstCaSet } from './ca-files.js'
import { ensureDir, writeFileAtomic, writeSecretFile } from '../common/files.js'

export function dataPaths(dataDir: string) {
  return {
    dataDir,
    database: join(dataDir, 'keyless.db'),
    masterKey: join(dataDir, 'master.key'),
    caCert: join(dataDir, 'ca.crt'),
    caKey: join(dataDir, 'ca.key'),
    tlsCert: join(dataDir, 'tls.crt'),
    tlsKey: join(dataDir, 'tls.key'),
    admin: join(dataDir, 'admin.json'),
    endpoints: join(dataDir, 'endpoints.json'),
  }
}

export type DataPaths = ReturnType<typeof dataPaths>

/** A master key file: 32 random bytes in base64url, as `keyless up` writes it. */
export function readMasterKey(file: string): Uint8Array {
  if (!existsSync(file)) throw new TypeError(`the master key file ${file} does not exist`)
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url')
  if (key.length !== 32) throw new TypeError(`${file} does not hold a 256-bit key`)
  return key
}

export function ensureMasterKey(paths: DataPaths): Uint8Array {
  if (existsSync(paths.masterKey)) return readMasterKey(paths.masterKey)
  const key = randomBytes(32)
  writeSecretFile(paths.masterKey, key.toString('base64url'))
  return key
}

/**
 * The local CA set (ca-files.ts), created on first start constrained to the installation's
 * names (pki installationNameScope). An active CA whose name constraint does not cover `names`
 * is refused at startup: the server's certificate would be one that clients must reject.
 */
export async function ensureCertificateAuthority(
  paths: DataPaths,
  now: number,
  names: TlsNames,
): Promise<CaSet> {
  const kept = readCaSet(paths.dataDir)
  if (kept) {
    const outside = namesTheCaCannotCertify(kept.active.certPem, names)
    if (outside.length > 0) {
      throw new TypeError(
        `the CA in ${paths.caCert} may not certify ${outside.join(', ')}: its name constraint ` +
          'predates this configuration; rotate it (keyless ca rotate, then keyless ca retire) ' +
          'to create one that may',
      )
    }
    return kept
  }
  const set = { active: await newCertificateAuthority(now, names) }
  writeFirstCaSet(paths.dataDir, set)
  return set
}

export type { TlsNames } from './tls-material.js'

export async function ensureTlsCertificate(
  paths: DataPaths,
  cas: CaSet,
  names: TlsNames,
  now: number,
): Promise<PemPair> {
  const ca = tlsIssuer(cas, names)
  if (existsSync(paths.tlsCert) && existsSync(paths.tlsKey)) {
    const certPem = readFileSync(paths.tlsCert, 'utf8')
    if (certificateStillServes(certPem, names, now, ca)) {
      return { certPem, keyPem: readFileSync(paths.tlsKey, 'utf8') }
    }
  }
  const leaf = await newTlsCertificate(ca, names, now)
  ensureDir(paths.dataDir)
  writeSecretFile(paths.tlsKey, leaf.keyPem)
  writeFileAtomic(paths.tlsCert, leaf.certPem)
  return leaf
}
