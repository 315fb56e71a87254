import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assertLocalBind, isLoopbackOrLinkLocal } from './bind-address.js'

describe('identity endpoint bind addresses', () => {
  const allowed = [
    '127.0.0.1',
    '127.8.9.10',
    'localhost',
    '::1',
    '[::1]',
    '169.254.169.254',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    '::ffff:127.0.0.1',
  ]
  const refused = [
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '192.168.1.2',
    '8.8.8.8',
    'example.com',
    'fec0::1',
    '',
    '::ffff:10.0.0.1',
  ]
  for (const host of allowed) {
    it(`allows ${host}`, () => assert.equal(isLoopbackOrLinkLocal(host), true))
  }
  for (const host of refused) {
    it(`refuses '${host}' with a TypeError`, () => {
      assert.equal(isLoopbackOrLinkLocal(host), false)
      assert.throws(() => assertLocalBind(host), TypeError)
    })
  }
})
