import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createReplayGuard } from './replay-guard.js'

describe('replay guard', () => {
  it('accepts an id once while it is remembered', () => {
    const g = createReplayGuard()
    assert.equal(g.firstUse('a', 10_000, 1_000), true)
    assert.equal(g.firstUse('a', 10_000, 2_000), false)
    assert.equal(g.firstUse('a', 10_000, 10_000), false, 'still refused at forgetAt')
    assert.equal(g.firstUse('b', 10_000, 2_000), true)
  })

  it('forgets an id only after its forgetAt', () => {
    const g = createReplayGuard()
    g.firstUse('a', 10_500, 1_000)
    g.firstUse('b', 60_000, 1_000)
    assert.equal(g.firstUse('a', 10_500, 10_999), false)
    assert.equal(g.firstUse('c', 60_000, 12_000), true)
    assert.equal(g.size, 2, 'a is dropped once the clock is past its second')
    assert.equal(g.firstUse('a', 70_000, 12_000), true, 'a forgotten id is new again')
    assert.equal(g.firstUse('b', 60_000, 12_000), false)
  })

  it('holds many ids at once and drops them when they expire', () => {
    const g = createReplayGuard()
    for (let i = 0; i < 50_000; i++) assert.ok(g.firstUse(`id-${i}`, 300_000 + i, i))
    assert.equal(g.firstUse('id-49999', 349_999, 50_000), false)
    assert.equal(g.size, 50_000)
    g.firstUse('late', 1_000_000, 400_000)
    assert.equal(g.size, 1)
  })
})
