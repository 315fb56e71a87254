import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { describe, it } from 'node:test'
import { createIdentityHeaders, headerDigest } from './identity-headers.js'

const caller = (id: string) => ({ resourceId: id, key: id.toLowerCase() })
const request = (value?: string) =>
  ({ headers: value === undefined ? {} : { 'x-identity-header': value } }) as IncomingMessage

describe('identity headers', () => {
  it('maps an issued header to its run, and refuses others of the same length', () => {
    const h = createIdentityHeaders()
    const { header } = h.register('r1', caller('/vm1'))
    h.register('r2', caller('/vm2'))
    assert.equal(h.authenticate(request(header)).resourceId, '/vm1')
    const wrong = `${header.slice(0, -1)}${header.endsWith('A') ? 'B' : 'A'}`
    assert.throws(() => h.authenticate(request(wrong)))
    assert.throws(() => h.authenticate(request('')))
    assert.throws(() => h.authenticate(request()))
  })

  it('matches a restored run by digest, then again from memory, until revoked', () => {
    const h = createIdentityHeaders()
    const header = 'restored-header-value-of-some-length-xxxxxx'
    h.restore('r1', caller('/vm1'), headerDigest(header).toString('hex'))
    for (let i = 0; i < 2; i++) {
      assert.equal(h.authenticate(request(header)).resourceId, '/vm1')
    }
    h.revoke('r1')
    assert.throws(() => h.authenticate(request(header)))
  })
})
