import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { planSelectorChanges } from './attachment-selectors.js'
import { planIdentityChange, type IdentityState } from './identity-lifecycle.js'
import { parseIdentitySpec } from './identity-spec.js'

const UAI = (n: string) =>
  `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`
const key = (n: string) => UAI(n).toLowerCase()
const both: IdentityState = { system: true, userAssigned: [key('a')] }

function plan(current: IdentityState, identity: unknown, mode: 'put' | 'patch') {
  const spec = parseIdentitySpec(identity, mode)
  return planSelectorChanges(spec, planIdentityChange(current, spec, mode), mode)
}

describe('which stored selectors a request changes', () => {
  it('a PUT sets what it names and clears what it leaves out', () => {
    const c = plan(
      both,
      {
        type: 'SystemAssigned, UserAssigned',
        keylessSelectors: { uid: 1 },
        userAssignedIdentities: { [UAI('a')]: {} },
      },
      'put',
    )
    assert.equal(c.system, '{"uid":[1]}')
    assert.deepEqual([...c.userAssigned], [[key('a'), null]])
  })
  it('a PATCH keeps what it does not name, and sets what it does', () => {
    const c = plan(
      both,
      { userAssignedIdentities: { [UAI('a')]: { keylessSelectors: { gid: [2] } } } },
      'patch',
    )
    assert.equal(c.system, undefined)
    assert.deepEqual([...c.userAssigned], [[key('a'), '{"gid":[2]}']])
  })
  it('a PATCH with null or {} removes them', () => {
    assert.equal(plan(both, { keylessSelectors: null }, 'patch').system, null)
    assert.equal(plan(both, { keylessSelectors: {} }, 'patch').system, null)
  })
  it('a new attachment in a PATCH starts with the selectors it names, or none', () => {
    const c = plan(
      both,
      { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [UAI('b')]: {} } },
      'patch',
    )
    assert.deepEqual([...c.userAssigned], [[key('b'), null]])
  })
  it('removing the system identity clears its selectors', () => {
    assert.equal(plan(both, { type: 'UserAssigned' }, 'patch').system, null)
  })
  it('refuses selectors for a system identity the resource will not have', () => {
    assert.throws(
      () => plan(both, { type: 'UserAssigned', keylessSelectors: { uid: 0 } }, 'patch'),
      { code: 'InvalidSelectors', status: 400, message: /system-assigned identity/ },
    )
  })
  it('refuses a user-assigned value with bad selectors, naming where', () => {
    assert.throws(
      () =>
        plan(
          both,
          { userAssignedIdentities: { [UAI('a')]: { keylessSelectors: { pid: 1 } } } },
          'patch',
        ),
      {
        code: 'InvalidSelectors',
        target: 'identity.userAssignedIdentities.keylessSelectors',
        message: /unknown selector 'pid'/,
      },
    )
  })
})
