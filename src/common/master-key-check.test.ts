import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { deriveKeyHierarchy } from './key-hierarchy.js'
import { masterKeyCheck, matchesMasterKeyCheck } from './master-key-check.js'
import { openJwe, resealJwe, sealJwe } from './sealed-jwe.js'

const one = deriveKeyHierarchy(randomBytes(32))
const other = deriveKeyHierarchy(randomBytes(32))

describe('master key check', () => {
  it('matches the same key only, and says nothing of it', () => {
    const check = masterKeyCheck(one)
    assert.equal(masterKeyCheck(one), check, 'stable')
    assert.ok(matchesMasterKeyCheck(one, check))
    assert.ok(!matchesMasterKeyCheck(other, check))
    assert.ok(!matchesMasterKeyCheck(one, check.slice(1)), 'a shorter value does not match')
    for (const p of ['signing-keys', 'cluster-state', 'key-check'] as const) {
      assert.ok(!check.includes(Buffer.from(one.forPurpose(p).key).toString('base64url')))
    }
  })
})

describe('resealJwe', () => {
  it("keeps the plaintext and the header's own parameters, under the new key only", async () => {
    const sealed = await sealJwe(Buffer.from('hello'), one.forPurpose('vault-secrets'), {
      cty: 'kv-secret',
      kl: 'v|n|1',
    })
    const moved = await resealJwe(
      sealed,
      one.forPurpose('vault-secrets'),
      other.forPurpose('vault-secrets'),
    )
    const opened = await openJwe(moved, other.forPurpose('vault-secrets'))
    assert.equal(Buffer.from(opened.plaintext).toString(), 'hello')
    assert.equal(opened.protectedHeader.cty, 'kv-secret')
    assert.equal(opened.protectedHeader.kl, 'v|n|1')
    await assert.rejects(openJwe(moved, one.forPurpose('vault-secrets')))
  })
})
