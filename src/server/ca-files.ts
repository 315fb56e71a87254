// The CA set in a data directory (`keyless up`):
//   ca.crt           the bundle, active CA first, then the previous one while it is trusted
//   ca.key           the active CA's key (0600)
//   ca.previous.key  the previous CA's key, until it is retired: it still signs the server's
//                    TLS certificate (ca-set.ts tlsIssuer)
//   ca.key.next      a rotation under way: the new CA's key and certificate, written before
//                    anything else changes, so that an interrupted rotation is finished (rolled
//                    forward) by whatever reads the set next — `keyless up` or `keyless ca`
// Each file is replaced atomically (common/files.ts); the steps are ordered so that every
// crash leaves a state readCaSet completes.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic, writeSecretFile } from '../common/files.js'
import { splitCertificates, type NameScope, type PemPair } from '../common/pki.js'
import { bundleCertificates, caBundle, retiredCaSet, rotatedCaSet, type CaSet } from './ca-set.js'

export function caPaths(dataDir: string) {
  return {
    cert: join(dataDir, 'ca.crt'),
    key: join(dataDir, 'ca.key'),
    previousKey: join(dataDir, 'ca.previous.key'),
    next: join(dataDir, 'ca.key.next'),
  }
}

type CaPaths = ReturnType<typeof caPaths>

const read = (file: string) => readFileSync(file, 'utf8')
const same = (a: string, b: string) => a.trim() === b.trim()

/** Throws unless the key is the certificate's. */
function checkPair(pair: PemPair, keyFile: string): PemPair {
  const fromKey = createPublicKey(createPrivateKey(pair.keyPem)).export({
    type: 'spki',
    format: 'der',
  })
  const fromCert = new X509Certificate(pair.certPem).publicKey.export({
    type: 'spki',
    format: 'der',
  })
  if (!fromKey.equals(fromCert)) {
    throw new TypeError(`${keyFile} is not the key of the CA certificate it goes with`)
  }
  return pair
}

/** Rolls an interrupted rotation forward: the new CA becomes active, the old one previous. */
function finishRotation(p: CaPaths): void {
  if (!existsSync(p.next)) return
  const pending = read(p.next)
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(
    pending,
  )?.[0]
  const certPem = splitCertificates(pending)[0]
  if (!keyPem || !certPem) throw new TypeError(`${p.next} does not hold a CA key and certificate`)
  const next = checkPair({ certPem: certPem + '\n', keyPem }, p.next)
  const bundle = bundleCertificates(read(p.cert), p.cert)
  if (!same(bundle[0]!, next.certPem)) {
    // ca.crt still shows the old set: its active CA (ca.key) becomes the previous one.
    const old = checkPair({ certPem: bundle[0]! + '\n', keyPem: read(p.key) }, p.key)
    writeSecretFile(p.previousKey, old.keyPem)
    writeFileAtomic(p.cert, caBundle({ active: next, previous: old }))
  }
  writeSecretFile(p.key, next.keyPem)
  rmSync(p.next, { force: true })
}

/** The CA set of a data directory, finishing an interrupted rotation; undefined before the
 * first start created one. */
export function readCaSet(dataDir: string): CaSet | undefined {
  const p = caPaths(dataDir)
  finishRotation(p)
  if (!existsSync(p.cert) || !existsSync(p.key)) return undefined
  const certs = bundleCertificates(read(p.cert), p.cert)
  const active = checkPair({ certPem: certs[0]! + '\n', keyPem: read(p.key) }, p.key)
  if (certs.length > 2) throw new TypeError(`${p.cert} holds more than an active and a previous CA`)
  if (certs.length === 1) {
    // A retirement interrupted after ca.crt was written: the key goes too.
    rmSync(p.previousKey, { force: true })
    return { active }
  }
  if (!existsSync(p.previousKey)) {
    throw new TypeError(`${p.cert} holds a previous CA but ${p.previousKey} is missing`)
  }
  const previous = checkPair(
    { certPem: certs[1]! + '\n', keyPem: read(p.previousKey) },
    p.previousKey,
  )
  return { active, previous }
}

/** Writes a first CA set (no CA in the directory yet). */
export function writeFirstCaSet(dataDir: string, set: CaSet): void {
  const p = caPaths(dataDir)
  writeSecretFile(p.key, set.active.keyPem)
  writeFileAtomic(p.cert, caBundle(set))
}

/** The CA set of a data directory that has one (else a TypeError for the operator). */
export function existingCaSet(dataDir: string): CaSet {
  const set = readCaSet(dataDir)
  if (!set) throw new TypeError(`${dataDir} has no CA yet: start keyless up on it once`)
  return set
}

/** `keyless ca rotate`: a new CA beside the active one. The new key is on disk (ca.key.next)
 * before anything else changes. */
export async function rotateCaFiles(
  dataDir: string,
  now: number,
  names: NameScope,
): Promise<CaSet> {
  const next = await rotatedCaSet(existingCaSet(dataDir), now, names)
  const p = caPaths(dataDir)
  writeSecretFile(p.next, next.active.keyPem.trim() + '\n' + next.active.certPem.trim() + '\n')
  finishRotation(p)
  return next
}

/** `keyless ca retire`: the previous CA leaves the bundle, then its key goes. */
export function retireCaFiles(dataDir: string, set: CaSet = existingCaSet(dataDir)): CaSet {
  const next = retiredCaSet(set)
  const p = caPaths(dataDir)
  writeFileAtomic(p.cert, caBundle(next))
  rmSync(p.previousKey, { force: true })
  return next
}
