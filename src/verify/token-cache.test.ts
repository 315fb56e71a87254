import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Doorkeeper, VerifiedTokenCache } from './token-cache.js'

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

  it('answers only for the very same token, not one sharing its signature', () => {
    const c = new VerifiedTokenCache<{ exp: number }>(10)
    const signature = 'S'.repeat(86)
    c.set(`header.payload.${signature}`, { exp: 100 })
    assert.equal(c.get(`header.forged.${signature}`, 0, 0), undefined)
    assert.deepEqual(c.get(`header.payload.${signature}`, 0, 0), { exp: 100 })
  })

  it('forgets everything on clear', () => {
    const c = new VerifiedTokenCache<{ exp: number }>(10)
    c.set('a', { exp: 100 })
    c.clear()
    assert.equal(c.get('a', 0, 0), undefined)
  })

  it('stores nothing when its size is zero', () => {
    const c = new VerifiedTokenCache<{ exp: number }>(0)
    c.set('a', { exp: 100 })
    assert.equal(c.size, 0)
  })
})

describe('doorkeeper', () => {
  it('admits a token on its second presentation, not its first', () => {
    const d = new Doorkeeper(10)
    assert.equal(d.admit('header.payload.signature-one'), false)
    assert.equal(d.admit('header.payload.signature-two'), false)
    assert.equal(d.admit('header.payload.signature-one'), true)
  })

  it('forgets what it saw once it has seen its size', () => {
    const d = new Doorkeeper(2)
    d.admit('a.b.first-token-xx')
    d.admit('a.b.second-token-x')
    d.admit('a.b.third-token-xx')
    assert.equal(d.admit('a.b.first-token-xx'), false)
  })
})
