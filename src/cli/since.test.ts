import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSince } from './since.js'

const NOW = Date.parse('2026-12-07T12:00:00Z')

describe('--since', () => {
  for (const [input, expected] of [
    ['45s', '2026-12-07T11:59:15.000Z'],
    ['30m', '2026-12-07T11:30:00.000Z'],
    ['1h', '2026-12-07T11:00:00.000Z'],
    ['7d', '2026-11-30T12:00:00.000Z'],
    ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00.000Z'],
  ]) {
    it(`reads ${input}`, () => assert.equal(parseSince(input!, NOW), expected))
  }
  it('refuses what is neither a duration nor a time', () =>
    assert.throws(() => parseSince('soon', NOW), { message: /neither a duration/ }))
})
