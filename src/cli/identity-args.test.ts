import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  identityForCreate,
  identityToAssign,
  identityToRemove,
  parseIdentityArgs,
  type ArmIdentity,
} from './identity-args.js'
import { CliError } from './errors.js'

const U =
  '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities'
const idOf = (name: string) => `${U}/${name}`

describe('parseIdentityArgs', () => {
  const cases: { name: string; values: string[]; system: boolean; userAssigned: string[] }[] = [
    { name: 'system alone', values: ['system'], system: true, userAssigned: [] },
    { name: "the Azure CLI's [system]", values: ['[System]'], system: true, userAssigned: [] },
    {
      name: 'a bare name in the group',
      values: ['id1'],
      system: false,
      userAssigned: [idOf('id1')],
    },
    {
      name: 'a resource id as given',
      values: [`${U}/ID2`],
      system: false,
      userAssigned: [`${U}/ID2`],
    },
    {
      name: 'both, deduplicated case-insensitively',
      values: ['system', 'id1', `${U}/ID1`],
      system: true,
      userAssigned: [idOf('id1')],
    },
  ]
  for (const c of cases) {
    it(`reads ${c.name}`, () => {
      assert.deepEqual(parseIdentityArgs(c.values, idOf), {
        system: c.system,
        userAssigned: c.userAssigned,
      })
    })
  }

  it('rejects a relative path as a usage error', () => {
    assert.throws(() => parseIdentityArgs(['rg1/id1'], idOf), { exitCode: 2 })
  })
})

describe('identityForCreate', () => {
  it('asks for nothing without identities', () => {
    assert.equal(identityForCreate({ system: false, userAssigned: [] }), undefined)
  })

  it("mixes system and user-assigned into 'SystemAssigned, UserAssigned'", () => {
    assert.deepEqual(identityForCreate({ system: true, userAssigned: [idOf('a')] }), {
      type: 'SystemAssigned, UserAssigned',
      userAssignedIdentities: { [idOf('a')]: {} },
    })
  })
})

describe('identityToAssign', () => {
  const current: ArmIdentity = {
    type: 'UserAssigned',
    userAssignedIdentities: { [idOf('a')]: { principalId: 'p', clientId: 'c' } },
  }

  it('adds system to user-assigned and sends no map when no user identity is new', () => {
    assert.deepEqual(identityToAssign(current, { system: true, userAssigned: [] }), {
      type: 'SystemAssigned, UserAssigned',
    })
  })

  it('sends only the new user-assigned identities (ARM merges the map)', () => {
    assert.deepEqual(
      identityToAssign({ type: 'SystemAssigned' }, { system: false, userAssigned: [idOf('b')] }),
      {
        type: 'SystemAssigned, UserAssigned',
        userAssignedIdentities: { [idOf('b')]: {} },
      },
    )
  })

  it('enables system on a resource without identity', () => {
    assert.deepEqual(identityToAssign(undefined, { system: true, userAssigned: [] }), {
      type: 'SystemAssigned',
    })
  })
})

describe('identityToRemove', () => {
  const both: ArmIdentity = {
    type: 'SystemAssigned,UserAssigned',
    principalId: 'p0',
    userAssignedIdentities: { [idOf('A')]: {}, [idOf('b')]: {} },
  }

  it('removes one user-assigned identity with null, in its attached casing', () => {
    assert.deepEqual(identityToRemove(both, { system: false, userAssigned: [idOf('a')] }, 'vm1'), {
      type: 'SystemAssigned, UserAssigned',
      userAssignedIdentities: { [idOf('A')]: null },
    })
  })

  it('narrows the type when the last user-assigned identity goes', () => {
    assert.deepEqual(
      identityToRemove(both, { system: false, userAssigned: [idOf('a'), idOf('b')] }, 'vm1'),
      { type: 'SystemAssigned' },
    )
  })

  it('removes system and keeps user-assigned', () => {
    assert.deepEqual(identityToRemove(both, { system: true, userAssigned: [] }, 'vm1'), {
      type: 'UserAssigned',
    })
  })

  it('sets None when nothing remains', () => {
    assert.deepEqual(
      identityToRemove(both, { system: true, userAssigned: [idOf('a'), idOf('b')] }, 'vm1'),
      { type: 'None' },
    )
  })

  it('refuses an identity that is not assigned (exit 3)', () => {
    assert.throws(
      () => identityToRemove(both, { system: false, userAssigned: [idOf('zz')] }, 'vm1'),
      (err: unknown) =>
        err instanceof CliError &&
        err.exitCode === 3 &&
        err.code === 'IdentityNotAssigned' &&
        err.message === `'${idOf('zz')}' is not assigned to 'vm1'`,
    )
  })
})
