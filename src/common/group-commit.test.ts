import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { groupCommit } from './group-commit.js'

describe('group commit', () => {
  it('writes what is offered in one turn, and then what arrives during the write, as batches', async () => {
    const batches: number[][] = []
    const offer = groupCommit<number>(async (batch) => {
      batches.push(batch)
      await new Promise((r) => setTimeout(r, 5))
    })
    const first = [1, 2].map(offer)
    await new Promise((r) => setTimeout(r, 1))
    await Promise.all([...first, ...[3, 4].map(offer)])
    assert.deepEqual(batches, [
      [1, 2],
      [3, 4],
    ])
  })

  it('rejects every offer of a failed batch, and only those', async () => {
    let fail = true
    const written: number[] = []
    const offer = groupCommit<number>(async (batch) => {
      await Promise.resolve()
      if (fail) {
        fail = false
        throw new Error('disk full')
      }
      written.push(...batch)
    })
    const first = Promise.allSettled([offer(1)])
    await new Promise((r) => setImmediate(r))
    const results = [...(await first), ...(await Promise.allSettled([offer(2)]))]
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled'],
    )
    await offer(3)
    assert.deepEqual(written, [2, 3])
  })

  it('caps a batch at maxBatch items', async () => {
    const sizes: number[] = []
    const offer = groupCommit<number>(async (batch) => {
      sizes.push(batch.length)
      await Promise.resolve()
    }, 2)
    await Promise.all([1, 2, 3, 4, 5].map(offer))
    assert.deepEqual(sizes, [2, 2, 1])
  })
})
