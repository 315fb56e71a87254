import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  assertRotationPolicy,
  latestExpiry,
  planRotation,
  publishedKeys,
  selectSigningKey,
  type KeyTimes,
  type RotationPolicy,
} from './key-rotation.js'

const H = 3_600_000
const D = 24 * H
const policy: RotationPolicy = {
  intervalMs: 30 * D,
  prePublishMs: 2 * D,
  maxTokenLifetimeMs: D,
  skewMs: 5 * 60_000,
}

function key(kid: string, createdAt: number, activateAt: number): KeyTimes {
  const retireAt = activateAt + policy.intervalMs
  return {
    kid,
    createdAt,
    activateAt,
    retireAt,
    expireAt: retireAt + policy.maxTokenLifetimeMs + policy.skewMs,
  }
}

describe('key rotation plan', () => {
  const k1 = key('k1', 0, 0)
  const k2 = key('k2', 28 * D, 30 * D)
  const cases: {
    name: string
    keys: KeyTimes[]
    now: number
    create?: Partial<KeyTimes>
    prune?: string[]
  }[] = [
    {
      name: 'creates an immediately active key on first start',
      keys: [],
      now: 5,
      create: { createdAt: 5, activateAt: 5 },
    },
    { name: 'does nothing while the current key is far from retirement', keys: [k1], now: 10 * D },
    {
      name: 'pre-publishes a successor that activates when the current key retires',
      keys: [k1],
      now: 28 * D,
      create: { createdAt: 28 * D, activateAt: 30 * D, retireAt: 60 * D },
    },
    { name: 'does not create a second successor', keys: [k1, k2], now: 29 * D },
    { name: 'keeps a retired key until its last token expires', keys: [k1, k2], now: 30 * D + D },
    {
      name: 'prunes a key once every token it signed has expired',
      keys: [k1, k2],
      now: 31 * D + 5 * 60_000,
      prune: ['k1'],
    },
    {
      name: 'creates an active key when the server was down past the whole schedule',
      keys: [k1],
      now: 90 * D,
      create: { createdAt: 90 * D, activateAt: 90 * D },
      prune: ['k1'],
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const plan = planRotation(c.keys, c.now, policy)
      assert.deepEqual(plan.prune, c.prune ?? [])
      if (!c.create) assert.equal(plan.create, undefined)
      else
        for (const [k, v] of Object.entries(c.create))
          assert.equal((plan.create as Record<string, number> | undefined)?.[k], v, k)
    })
  }
})

describe('signing key selection', () => {
  const k1 = key('k1', 0, 0)
  const k2 = key('k2', 28 * D, 30 * D)
  it('never selects a key before it activates, though it is already published', () => {
    assert.equal(selectSigningKey([k1, k2], 29 * D)?.kid, 'k1')
    assert.deepEqual(
      publishedKeys([k1, k2], 29 * D).map((k) => k.kid),
      ['k1', 'k2'],
    )
  })
  it('switches to the successor exactly when the current key retires', () => {
    assert.equal(selectSigningKey([k1, k2], 30 * D - 1)?.kid, 'k1')
    assert.equal(selectSigningKey([k1, k2], 30 * D)?.kid, 'k2')
  })
  it('selects nothing when no key is active', () => {
    assert.equal(selectSigningKey([k2], 29 * D), undefined)
  })
  it('caps a token expiry so it ends before its key leaves JWKS', () => {
    const exp = latestExpiry(k1, policy, 30 * D - 1)
    assert.ok(exp <= k1.expireAt - policy.skewMs)
    assert.equal(latestExpiry(k1, policy, 0), D)
  })
})

describe('rotation policy validation', () => {
  it('rejects a pre-publication period as long as the interval', () => {
    assert.throws(() => assertRotationPolicy({ ...policy, prePublishMs: policy.intervalMs }), {
      name: 'TypeError',
      message: 'key rotation prePublish must be shorter than the rotation interval',
    })
  })
  it('rejects negative durations', () => {
    assert.throws(
      () => assertRotationPolicy({ ...policy, skewMs: -1 }),
      /invalid key rotation skewMs/,
    )
  })
})
