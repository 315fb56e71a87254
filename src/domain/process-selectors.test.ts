import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  deserializeSelectors,
  parseProcessSelectors,
  selectorMismatch,
  serializeSelectors,
  type ProcessFacts,
  type ProcessSelectors,
} from './process-selectors.js'

const SHA = 'ab'.repeat(32)
const facts = (over: Partial<ProcessFacts> = {}): ProcessFacts => ({
  uid: 1000,
  gid: 100,
  unit: 'app.service',
  cgroup: '/system.slice/app.service',
  exe: '/usr/bin/node',
  sha256: () => SHA,
  ...over,
})

describe('process selectors', () => {
  const rows: [string, ProcessSelectors, Partial<ProcessFacts>, string | undefined][] = [
    ['no selectors match anything', {}, {}, undefined],
    ['a matching uid matches', { uid: [1000] }, {}, undefined],
    ['another uid is refused', { uid: [0] }, {}, 'uid'],
    ['any of several uids matches', { uid: [0, 1000] }, {}, undefined],
    ['a gid is checked', { gid: [0] }, {}, 'gid'],
    ['every kind given must match', { uid: [1000], gid: [0] }, {}, 'gid'],
    ['a unit matches exactly', { unit: ['app.service'] }, {}, undefined],
    ['another unit is refused', { unit: ['db.service'] }, {}, 'unit'],
    [
      'no unit is refused by a unit selector',
      { unit: ['app.service'] },
      { unit: undefined },
      'unit',
    ],
    ['a cgroup prefix covers the path below it', { cgroup: ['/system.slice'] }, {}, undefined],
    ['a cgroup prefix matches itself', { cgroup: ['/system.slice/app.service'] }, {}, undefined],
    ['a cgroup prefix is whole segments', { cgroup: ['/system.sl'] }, {}, 'cgroup'],
    ['a trailing slash on a prefix is a segment', { cgroup: ['/system.slice/'] }, {}, undefined],
    ['an unknown cgroup is refused', { cgroup: ['/'] }, { cgroup: undefined }, 'cgroup'],
    ['exe matches exactly', { exe: ['/usr/bin/node'] }, {}, undefined],
    ['another exe is refused', { exe: ['/usr/bin/python3'] }, {}, 'exe'],
    ['a sha256 matches', { sha256: [SHA] }, {}, undefined],
    ['another sha256 is refused', { sha256: ['cd'.repeat(32)] }, {}, 'sha256'],
    ['an unhashable exe is refused', { sha256: [SHA] }, { sha256: () => undefined }, 'sha256'],
  ]
  for (const [name, selectors, over, want] of rows) {
    it(name, () => assert.equal(selectorMismatch(selectors, facts(over)), want))
  }

  it('hashes the executable only when every other kind matched', () => {
    let hashed = 0
    const f = facts({ sha256: () => (hashed++, SHA) })
    assert.equal(selectorMismatch({ uid: [0], sha256: [SHA] }, f), 'uid')
    assert.equal(hashed, 0)
    assert.equal(selectorMismatch({ uid: [1000], sha256: [SHA] }, f), undefined)
    assert.equal(hashed, 1)
  })
})

describe('parsing keylessSelectors', () => {
  const t = 'identity.keylessSelectors'
  it('reads single values and arrays, kinds in any casing, numbers as strings', () => {
    assert.deepEqual(
      parseProcessSelectors(
        { UID: '1000', gid: [0, 100], Unit: 'a.service', sha256: SHA.toUpperCase() },
        t,
      ),
      { uid: [1000], gid: [0, 100], unit: ['a.service'], sha256: [SHA] },
    )
  })
  it('takes null and {} as no selectors', () => {
    assert.deepEqual(parseProcessSelectors(null, t), {})
    assert.equal(serializeSelectors(parseProcessSelectors({}, t)), null)
  })
  const bad: [string, unknown, RegExp][] = [
    ['an array', [1], /must be an object/],
    ['an unknown kind', { user: 1 }, /unknown selector 'user'/],
    ['a kind twice', { uid: 1, UID: 2 }, /given twice/],
    ['a negative uid', { uid: -1 }, /not a uid/],
    ['a fractional gid', { gid: 1.5 }, /not a gid/],
    ['a relative exe', { exe: 'node' }, /not an absolute path/],
    ['a relative cgroup', { cgroup: 'system.slice' }, /not an absolute path/],
    ['a bad sha256', { sha256: 'abc' }, /not a SHA-256/],
    ['a unit without a type', { unit: 'nginx' }, /not a systemd unit/],
    ['an empty list', { uid: [] }, /1 to 32 values/],
    ['an empty string', { exe: '' }, /non-empty string/],
  ]
  for (const [name, raw, message] of bad) {
    it(`refuses ${name} with 400 InvalidSelectors`, () =>
      assert.throws(() => parseProcessSelectors(raw, t), {
        code: 'InvalidSelectors',
        status: 400,
        message,
      }))
  }
  it('stores one canonical form and reads it back', () => {
    const s = parseProcessSelectors({ sha256: SHA, uid: [5, 5, 6] }, t)
    const text = serializeSelectors(s)
    assert.equal(text, `{"uid":[5,6],"sha256":["${SHA}"]}`)
    assert.deepEqual(deserializeSelectors(text), s)
    assert.equal(deserializeSelectors(null), undefined)
  })
})
