// The CA set of a data directory on real files: rotation, an interrupted rotation rolled
// forward from each point a crash can leave it at, retirement, and which CA signs the server's
// TLS certificate before and after.
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isIssuedBy, splitCertificates } from '../common/pki.js'
import { caPaths, readCaSet, retireCaFiles, rotateCaFiles, writeFirstCaSet } from './ca-files.js'
import {
  CaRotationRefused,
  caBundle,
  caSubject,
  nextCaName,
  newCertificateAuthority,
  rotatedCaSet,
  type CaSet,
} from './ca-set.js'
import { hostsNotMovedOver } from './ca-retirement.js'
import { dataPaths, ensureTlsCertificate } from './data-dir.js'
import { tlsNames } from './tls-material.js'
import type { HostRow } from '../store/schema.js'

const NAMES = tlsNames('127.0.0.1')
const now = Date.now()

describe('CA set in a data directory', () => {
  let dir: string
  let first: CaSet

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-ca-'))
    first = { active: await newCertificateAuthority(now, NAMES) }
    writeFirstCaSet(dir, first)
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('rotates: a new CA with a distinct name first in ca.crt, the old one kept as previous', async () => {
    const set = await rotateCaFiles(dir, now, NAMES)
    assert.equal(caSubject(set.active.certPem), 'CN=Keyless Local CA 2')
    const bundle = splitCertificates(readFileSync(join(dir, 'ca.crt'), 'utf8'))
    assert.equal(bundle.length, 2)
    assert.equal(bundle[0]!.trim(), set.active.certPem.trim())
    assert.equal(bundle[1]!.trim(), first.active.certPem.trim())
    const read = readCaSet(dir)!
    assert.equal(read.active.keyPem.trim(), set.active.keyPem.trim())
    assert.equal(read.previous!.keyPem.trim(), first.active.keyPem.trim())
    assert.equal(existsSync(caPaths(dir).next), false)
  })

  it('refuses a second rotation before the first is retired, changing nothing', async () => {
    await rotateCaFiles(dir, now, NAMES)
    const before = readFileSync(join(dir, 'ca.crt'), 'utf8')
    await assert.rejects(rotateCaFiles(dir, now, NAMES), CaRotationRefused)
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), before)
  })

  it('retires: the previous CA leaves ca.crt and its key goes; a rotation may follow', async () => {
    const rotated = await rotateCaFiles(dir, now, NAMES)
    retireCaFiles(dir)
    const bundle = splitCertificates(readFileSync(join(dir, 'ca.crt'), 'utf8'))
    assert.deepEqual(
      bundle.map((c) => c.trim()),
      [rotated.active.certPem.trim()],
    )
    assert.equal(existsSync(caPaths(dir).previousKey), false)
    assert.throws(() => retireCaFiles(dir), CaRotationRefused)
    const third = await rotateCaFiles(dir, now, NAMES)
    assert.equal(caSubject(third.active.certPem), 'CN=Keyless Local CA 3')
  })

  // The order rotateCaFiles writes in: ca.key.next, ca.previous.key, ca.crt, ca.key, and then
  // ca.key.next goes. A crash after any step leaves one of these states.
  for (const stage of ['next written', 'previous key written', 'bundle written', 'key written']) {
    it(`finishes a rotation interrupted after "${stage}"`, async () => {
      const next = await rotatedCaSet(first, now, NAMES)
      const p = caPaths(dir)
      writeFileSync(p.next, next.active.keyPem + next.active.certPem, { mode: 0o600 })
      if (stage !== 'next written') writeFileSync(p.previousKey, first.active.keyPem)
      if (stage === 'bundle written' || stage === 'key written')
        writeFileSync(p.cert, caBundle(next))
      if (stage === 'key written') writeFileSync(p.key, next.active.keyPem)
      const set = readCaSet(dir)!
      assert.equal(set.active.certPem.trim(), next.active.certPem.trim())
      assert.equal(set.active.keyPem.trim(), next.active.keyPem.trim())
      assert.equal(set.previous!.certPem.trim(), first.active.certPem.trim())
      assert.equal(set.previous!.keyPem.trim(), first.active.keyPem.trim())
      assert.equal(existsSync(p.next), false)
      assert.equal(readFileSync(p.cert, 'utf8'), caBundle(next))
    })
  }

  it('refuses a ca.key that is not the active CA’s key', async () => {
    const other = await newCertificateAuthority(now, NAMES)
    writeFileSync(caPaths(dir).key, other.keyPem)
    assert.throws(() => readCaSet(dir), /is not the key of the CA certificate/)
  })

  it('keeps the TLS certificate under the previous CA until retirement, then re-issues it', async () => {
    const paths = dataPaths(dir)
    const before = await ensureTlsCertificate(paths, first, NAMES, now)
    const rotated = await rotateCaFiles(dir, now, NAMES)
    const during = await ensureTlsCertificate(paths, rotated, NAMES, now)
    assert.equal(during.certPem, before.certPem, 'clients that trust only the old CA still connect')
    const retired = retireCaFiles(dir)
    const after = await ensureTlsCertificate(paths, retired, NAMES, now)
    assert.ok(isIssuedBy(after.certPem, rotated.active.certPem, now))
    assert.equal(new X509Certificate(after.certPem).issuer, 'CN=Keyless Local CA 2')
  })

  it('names rotated CAs distinctly', () => {
    assert.equal(nextCaName(first.active.certPem), 'Keyless Local CA 2')
  })
})

describe('hosts that have not moved over', () => {
  it('are the active hosts with an unexpired certificate from another CA, or an unknown one', async () => {
    const set = await rotatedCaSet(
      { active: await newCertificateAuthority(now, NAMES) },
      now,
      NAMES,
    )
    const row = (id: string, changes: Partial<HostRow>): HostRow => ({
      id,
      name: id,
      state: 'active',
      is_local: 0,
      cert_serial: '01',
      cert_issuer: 'CN=Keyless Local CA',
      cert_not_after: now + 60_000,
      created_at: now,
      renewed_at: null,
      revoked_at: null,
      ...changes,
    })
    const stuck = hostsNotMovedOver(
      [
        row('old', {}),
        row('unknown', { cert_issuer: null }),
        row('moved', { cert_issuer: 'CN=Keyless Local CA 2' }),
        row('revoked', { state: 'revoked' }),
        row('expired', { cert_not_after: now - 1 }),
      ],
      set,
      now,
    )
    assert.deepEqual(
      stuck.map((h) => [h.id, h.issuer]),
      [
        ['old', 'CN=Keyless Local CA'],
        ['unknown', 'unknown'],
      ],
    )
  })
})
