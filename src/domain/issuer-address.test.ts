import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isPublicAddress } from './issuer-address.js'

describe('issuer addresses', () => {
  const cases: [string, boolean][] = [
    ['20.190.128.1', true],
    ['8.8.8.8', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:8.8.8.8', true],
    ['localhost', false],
    ['', false],
  ]
  for (const [address, expected] of cases) {
    it(`${expected ? 'accepts' : 'refuses'} ${address || 'an empty address'}`, () => {
      assert.equal(isPublicAddress(address), expected)
    })
  }
})
