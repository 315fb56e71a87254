import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { backoffDelay } from './backoff.js'

describe('backoff', () => {
  it('doubles the wait after each failure up to the cap, half of it random', () => {
    const b = { initialMs: 100, maxMs: 1000 }
    const rows: Array<[number, number, number]> = [
      // failures, random, wait
      [1, 0, 50],
      [1, 0.5, 75],
      [2, 0, 100],
      [3, 0.999, 399.8],
      [4, 0, 400],
      [5, 0, 500],
      [50, 0.5, 750],
      [0, 0, 50],
    ]
    for (const [failures, r, want] of rows) {
      assert.ok(Math.abs(backoffDelay(b, failures, () => r) - want) < 1e-9, `${failures} ${r}`)
    }
  })
})
