import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  isHostedBy,
  needsUserIdentities,
  selectIdentity,
  type CandidateIdentity,
  type IdentitySelector,
} from './identity-selection.js'

const system: CandidateIdentity = { objectId: 'so', appId: 'sa' }
const a: CandidateIdentity = { objectId: 'ao', appId: 'aa', resourceKey: '/x/a' }
const b: CandidateIdentity = { objectId: 'bo', appId: 'ba', resourceKey: '/x/b' }

const by = (kind: IdentitySelector['kind'], value: string): IdentitySelector => ({ kind, value })

describe('identity selection', () => {
  const rows: [
    string,
    IdentitySelector | undefined,
    CandidateIdentity | undefined,
    CandidateIdentity[],
    CandidateIdentity | undefined,
  ][] = [
    ['no selector picks the system identity', undefined, system, [a, b], system],
    ['no selector and no system identity picks the only user one', undefined, undefined, [a], a],
    ['no selector with two user identities picks none', undefined, undefined, [a, b], undefined],
    ['no selector and nothing attached picks none', undefined, undefined, [], undefined],
    ['a client id picks that user identity', by('clientId', 'ba'), system, [a, b], b],
    ['a client id is compared in any casing', by('clientId', 'BA'), system, [a, b], b],
    ['an object id picks that user identity', by('objectId', 'ao'), system, [a, b], a],
    [
      'the system identity is picked by its own client id',
      by('clientId', 'sa'),
      system,
      [a],
      system,
    ],
    [
      'the system identity is picked by its own object id',
      by('objectId', 'so'),
      system,
      [],
      system,
    ],
    ['a resource id picks that user identity', by('resourceId', '/x/b'), system, [a, b], b],
    [
      'a resource id never picks the system identity',
      by('resourceId', '/x/s'),
      system,
      [a],
      undefined,
    ],
    ['an unattached client id picks none', by('clientId', 'zz'), system, [a, b], undefined],
    ['an object id given as a client id picks none', by('clientId', 'ao'), system, [a], undefined],
  ]
  for (const [name, selector, sys, users, want] of rows) {
    it(name, () => {
      assert.equal(selectIdentity(selector, sys, users), want)
      if (!needsUserIdentities(selector, sys)) {
        assert.equal(selectIdentity(selector, sys, []), want, 'the same without user identities')
      }
    })
  }

  it('reads user identities only when the choice needs them', () => {
    assert.equal(needsUserIdentities(undefined, system), false)
    assert.equal(needsUserIdentities(undefined, undefined), true)
    assert.equal(needsUserIdentities(by('clientId', 'sa'), system), false)
    assert.equal(needsUserIdentities(by('clientId', 'aa'), system), true)
    assert.equal(needsUserIdentities(by('resourceId', '/x/a'), system), true)
  })
})

describe('which host runs a resource', () => {
  const rows: [string, string | null, string, string | undefined, boolean][] = [
    ['the host the resource names', 'h1', 'h1', 'local', true],
    ['another host than the one named', 'h1', 'h2', 'h2', false],
    ['the local host when none is named', null, 'local', 'local', true],
    ['a remote host when none is named', null, 'h1', 'local', false],
    ['nobody when none is named and there is no local host', null, 'h1', undefined, false],
  ]
  for (const [name, named, asking, local, want] of rows) {
    it(`${want ? 'is' : 'is not'} ${name}`, () =>
      assert.equal(isHostedBy(named, asking, local), want))
  }
})
