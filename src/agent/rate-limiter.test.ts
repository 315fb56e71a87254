import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRateLimiter, type Admission } from './rate-limiter.js'
import { fakeClock } from './test-fakes.js'

const admitted = (a: Admission) => {
  assert.ok(a.ok, 'expected the request to be admitted')
  return a
}

describe('rate limiter', () => {
  it('admits 20 requests in a second and refuses the 21st with a retry after', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter(clock)
    for (let i = 0; i < 20; i++) admitted(limiter.admit('vm1')).release()
    const refused = limiter.admit('vm1')
    assert.deepEqual(refused, { ok: false, retryAfterS: 1 })
  })

  it('refills at the configured rate', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter(clock, { perSecond: 2, concurrent: 5 })
    admitted(limiter.admit('vm1')).release()
    admitted(limiter.admit('vm1')).release()
    assert.equal(limiter.admit('vm1').ok, false)
    clock.advance(499)
    assert.equal(limiter.admit('vm1').ok, false)
    clock.advance(1)
    admitted(limiter.admit('vm1')).release()
  })

  it('counts callers separately', () => {
    const limiter = createRateLimiter(fakeClock(), { perSecond: 1, concurrent: 1 })
    admitted(limiter.admit('vm1'))
    admitted(limiter.admit('vm2'))
    assert.equal(limiter.admit('vm1').ok, false)
  })

  it('refuses a sixth concurrent request and admits again after a release', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter(clock)
    const held = Array.from({ length: 5 }, () => admitted(limiter.admit('vm1')))
    assert.deepEqual(limiter.admit('vm1'), { ok: false, retryAfterS: 1 })
    held[0]!.release()
    held[0]!.release()
    admitted(limiter.admit('vm1'))
    assert.equal(limiter.admit('vm1').ok, false, 'a double release frees only one slot')
  })

  it('says how long to wait when the rate is below one per second', () => {
    const limiter = createRateLimiter(fakeClock(), { perSecond: 0.25, concurrent: 1 })
    admitted(limiter.admit('vm1')).release()
    assert.deepEqual(limiter.admit('vm1'), { ok: false, retryAfterS: 4 })
  })

  it('rejects nonsensical limits at construction', () => {
    assert.throws(() => createRateLimiter(fakeClock(), { perSecond: 0, concurrent: 5 }), TypeError)
    assert.throws(() => createRateLimiter(fakeClock(), { perSecond: 5, concurrent: 0 }), TypeError)
  })
})
