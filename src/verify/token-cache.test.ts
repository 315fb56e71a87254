import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { VerifiedTokenCache } from './token-cache.js'

describe('verified token cache', () => {
  it('returns a token only while it is valid', () => {
    const c = new VerifiedTokenCache<{ exp: number; nbf: number }>(10)
    c.set('t', { exp: 100, nbf: 50 })
    assert.deepEqual(c.get('t', 60, 0), { exp: 100, nbf: 50 })
    assert.equal(c.get('t', 40, 0), undefined, 'not yet valid')
    assert.equal(c.get('t', 100, 0), undefined, 'expired')
    assert.equal(c.size, 0, 'an expired entry is dropped')
  })

  it('honours the clock tolerance at both ends', () => {
    const c = new VerifiedTokenCache<{ exp: number; nbf: number }>(10)
    c.set('t', { exp: 100, nbf: 50 })
    assert.ok(c.get('t', 45, 10))
    assert.ok(c.get('t', 105, 10))
  })

  it('keeps at most its size, dropping the least recently used', () => {
    const c = new VerifiedTokenCache<{ exp: number }>(2)
    c.set('a', { exp: 100 })
    c.set('b', { exp: 100 })
    c.get('a', 0, 0)
    c.set('c', { exp: 100 })
    assert.equal(c.size, 2)
    assert.equal(c.get('b', 0, 0), undefined)
    assert.ok(c.get('a', 0, 0))
    assert.ok(c.get('c', 0, 0))
  })

  it('stores nothing when its size is zero', () => {
    const c = new VerifiedTokenCache<{ exp: number }>(0)
    c.set('a', { exp: 100 })
    assert.equal(c.size, 0)
  })
})
