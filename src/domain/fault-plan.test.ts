import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BadRequest } from './errors.js'
import { createFaultPlan, formatFault, parseFault, seededRandom } from './fault-plan.js'

describe('fault specs', () => {
  it('parses statuses, delays, probabilities and first-n counts, and prints them back', () => {
    const cases: [string, string][] = [
      ['429:0.3', '429:0.3'],
      ['410', '410'],
      ['503:first=2', '503:first=2'],
      ['delay:200ms', 'delay:200ms'],
      ['delay:2s:0.5', 'delay:2000ms:0.5'],
      ['404:1', '404'],
      ['delay:50ms:first=1', 'delay:50ms:first=1'],
    ]
    for (const [spec, printed] of cases) assert.equal(formatFault(parseFault(spec)), printed)
  })

  it('refuses every malformed spec with InvalidFault naming it', () => {
    for (const spec of [
      '418',
      '42',
      '429:0',
      '429:1.5',
      '429:-0.1',
      '429:abc',
      '429:first=0',
      '503:first=x',
      'delay',
      'delay:200',
      'delay:0ms',
      'delay:121s',
      'delay:1ms:2',
      '500:0.5:first=1',
      '',
      'timeout',
    ]) {
      assert.throws(
        () => parseFault(spec),
        (e: unknown) =>
          e instanceof BadRequest && e.code === 'InvalidFault' && e.message.includes(`'${spec}'`),
        spec,
      )
    }
  })
})

describe('fault plans', () => {
  it('first=n fails exactly the first n requests, then lets every request through', () => {
    const plan = createFaultPlan([parseFault('503:first=2')], () => 0.99)
    assert.deepEqual(
      [plan.decide(), plan.decide(), plan.decide(), plan.decide()],
      [{ status: 503 }, { status: 503 }, undefined, undefined],
    )
    assert.deepEqual(plan.injected, [2])
  })

  it('a probability fires about that share of requests, the same ones for the same seed', () => {
    const run = () => {
      const plan = createFaultPlan([parseFault('429:0.3')], seededRandom(42))
      return Array.from({ length: 2000 }, () => plan.decide()?.status)
    }
    const a = run()
    assert.deepEqual(a, run(), 'seeded: replayable')
    const share = a.filter((s) => s === 429).length / a.length
    assert.ok(share > 0.25 && share < 0.35, `share ${share}`)
  })

  it('one status per request (the first listed that fires); delays add up and go with it', () => {
    const plan = createFaultPlan(
      ['429', '500', 'delay:200ms', 'delay:50ms:first=1'].map(parseFault),
      () => 0,
    )
    assert.deepEqual(plan.decide(), { status: 429, delayMs: 250 })
    assert.deepEqual(plan.decide(), { status: 429, delayMs: 200 })
    assert.deepEqual(plan.injected, [2, 0, 2, 1], 'the 500 never changed an answer')
  })

  it('an empty plan changes nothing', () => {
    assert.equal(createFaultPlan([], Math.random).decide(), undefined)
  })
})
