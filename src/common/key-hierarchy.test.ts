import assert from 'node:assert/strict'
import { hkdfSync, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { CompactEncrypt, decodeProtectedHeader } from 'jose'
import { deriveKeyHierarchy, KEY_PURPOSES } from './key-hierarchy.js'
import { openJwe, sealJwe } from './sealed-jwe.js'

const master = randomBytes(32)
const keys = deriveKeyHierarchy(master)

describe('key hierarchy', () => {
  it('derives one distinct key per purpose, none of them the master key', () => {
    const seen = new Set<string>([master.toString('hex')])
    for (const p of KEY_PURPOSES) seen.add(Buffer.from(keys.forPurpose(p).key).toString('hex'))
    assert.equal(seen.size, KEY_PURPOSES.length + 1)
  })

  it('is HKDF-SHA256 of the master key under the purpose label (stable across releases)', () => {
    const expected = hkdfSync(
      'sha256',
      master,
      Buffer.from('keyless key hierarchy'),
      'keyless/blob-content/v1',
      32,
    )
    assert.deepEqual(Buffer.from(keys.forPurpose('blob-content').key), Buffer.from(expected))
  })

  it('refuses a master key that is not 256 bits', () => {
    assert.throws(() => deriveKeyHierarchy(randomBytes(16)), TypeError)
  })
})

describe('sealed JWEs', () => {
  const data = new TextEncoder().encode('secret')

  it('name the derived key they were sealed under', async () => {
    const jwe = await sealJwe(data, keys.forPurpose('signing-keys'))
    assert.equal(decodeProtectedHeader(jwe).kid, 'keyless/signing-keys/v1')
    const { plaintext } = await openJwe(jwe, keys.forPurpose('signing-keys'))
    assert.deepEqual(plaintext, data)
  })

  it('do not open under another purpose: a blob key cannot read a wrapped signing key', async () => {
    const jwe = await sealJwe(data, keys.forPurpose('signing-keys'))
    for (const p of KEY_PURPOSES.filter((x) => x !== 'signing-keys')) {
      await assert.rejects(openJwe(jwe, keys.forPurpose(p)))
    }
  })

  it('still open when sealed under the raw master key by an installation from before', async () => {
    // Exactly what the code before key derivation wrote: `dir` + A256GCM, no `kid`.
    const legacy = await new CompactEncrypt(data)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(master)
    const { plaintext } = await openJwe(legacy, keys.forPurpose('signing-keys'))
    assert.deepEqual(plaintext, data)
  })

  it('refuse a derived-key name with the raw master key behind it (no downgrade by relabel)', async () => {
    const forged = await new CompactEncrypt(data)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'keyless/signing-keys/v1' })
      .encrypt(master)
    await assert.rejects(openJwe(forged, keys.forPurpose('signing-keys')))
  })
})
