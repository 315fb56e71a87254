import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Command } from 'commander'
import { addSelectorOptions, selectorsOf, withSelectors } from './selector-options.js'

describe('--allow-* options', () => {
  const parse = (args: string[]) =>
    addSelectorOptions(new Command().exitOverride()).parse(args, { from: 'user' }).opts()

  it('reads every kind, several values each', () => {
    const opts = parse([
      '--allow-uid',
      '0',
      '1000',
      '--allow-unit',
      'a.service',
      '--allow-sha256',
      'ab',
    ])
    assert.deepEqual(selectorsOf(opts), { uid: ['0', '1000'], unit: ['a.service'], sha256: ['ab'] })
    assert.equal(selectorsOf(parse([])), undefined)
  })

  it('puts them on the system identity if named and on every user-assigned value listed', () => {
    const identity = {
      type: 'SystemAssigned, UserAssigned',
      userAssignedIdentities: { '/u/a': {} },
    }
    const out = withSelectors(identity, true, { gid: ['5'] }) as Record<string, any>
    assert.deepEqual(out.keylessSelectors, { gid: ['5'] })
    assert.deepEqual(out.userAssignedIdentities['/u/a'], { keylessSelectors: { gid: ['5'] } })
    const userOnly = withSelectors(identity, false, { gid: ['5'] }) as Record<string, any>
    assert.equal(userOnly.keylessSelectors, undefined)
    assert.equal(withSelectors(identity, true, undefined), identity)
  })
})
