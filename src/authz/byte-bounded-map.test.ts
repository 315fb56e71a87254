import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ByteBoundedMap, stringBytes } from './byte-bounded-map.js'

describe('ByteBoundedMap', () => {
  it('evicts the oldest entries to stay within its budget', () => {
    const map = new ByteBoundedMap<number>(3 * (100 + stringBytes('k0')))
    for (let i = 0; i < 5; i++) map.set(`k${i}`, i, 100)
    assert.equal(map.size, 3)
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => map.get(`k${i}`)),
      [undefined, undefined, 2, 3, 4],
    )
    assert.equal(map.bytes, 3 * (100 + stringBytes('k0')))
  })

  it('counts the key, replaces an entry in place and refuses one larger than the budget', () => {
    const map = new ByteBoundedMap<string>(1000)
    map.set('a', 'x', 10)
    map.set('a', 'y', 20)
    assert.equal(map.get('a'), 'y')
    assert.equal(map.bytes, 20 + stringBytes('a'))
    map.set('b'.repeat(600), 'z', 0)
    assert.equal(map.get('b'.repeat(600)), undefined)
    assert.equal(map.size, 1)
    map.delete('a')
    map.delete('a')
    assert.equal(map.bytes, 0)
  })

  it('refuses a budget that is not a positive number', () => {
    assert.throws(() => new ByteBoundedMap(0), TypeError)
  })
})
