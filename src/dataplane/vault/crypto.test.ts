import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { deriveKeyHierarchy } from '../../common/key-hierarchy.js'
import { decryptValue, encryptValue, openBackup, sealBackup } from './crypto.js'

const key = deriveKeyHierarchy(randomBytes(32)).forPurpose('vault-secrets')
const at = { vaultKey: '/subscriptions/s/kv', nameKey: 'db', version: 'a'.repeat(32) }

describe('vault value sealing', () => {
  it('round-trips a value and never stores it in the clear', async () => {
    const jwe = await encryptValue('p@ss wörd', key, at)
    assert.ok(!jwe.includes('p@ss'))
    assert.equal(await decryptValue(jwe, key, at), 'p@ss wörd')
  })

  it('refuses a value moved to another secret, version or vault, or another master key', async () => {
    const jwe = await encryptValue('v', key, at)
    for (const other of [
      { ...at, nameKey: 'other' },
      { ...at, version: 'b'.repeat(32) },
      { ...at, vaultKey: '/subscriptions/s/kv2' },
    ]) {
      await assert.rejects(decryptValue(jwe, key, other))
    }
    const otherInstallation = deriveKeyHierarchy(randomBytes(32)).forPurpose('vault-secrets')
    await assert.rejects(decryptValue(jwe, otherInstallation, at))
  })

  it('keeps backups and values apart', async () => {
    const backup = await sealBackup('{}', key)
    assert.equal(await openBackup(backup, key), '{}')
    await assert.rejects(decryptValue(backup, key, at))
    await assert.rejects(openBackup(await encryptValue('v', key, at), key))
  })
})
