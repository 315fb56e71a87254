import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseIdentitySpec, parseIdentityType, type IdentitySpec } from './identity-spec.js'

const ID1 =
  '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1'
const ID2 =
  '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id2'
const TYPES = "'None', 'SystemAssigned', 'UserAssigned' or 'SystemAssigned, UserAssigned'"

// A readable form of a spec: ids as keys, `true` for remove.
function summary(spec: IdentitySpec | undefined) {
  if (spec === undefined) return undefined
  return {
    type: spec.type,
    users: spec.userAssignedIdentities?.map((c) => [c.id.id, c.remove]),
  }
}

describe('parseIdentityType', () => {
  it('parses the four types case- and space-insensitively', () => {
    const cases: Array<[string, string]> = [
      ['None', 'None'],
      ['none', 'None'],
      ['SystemAssigned', 'SystemAssigned'],
      [' systemassigned ', 'SystemAssigned'],
      ['USERASSIGNED', 'UserAssigned'],
      ['SystemAssigned, UserAssigned', 'SystemAssigned, UserAssigned'],
      ['SystemAssigned,UserAssigned', 'SystemAssigned, UserAssigned'],
      ['userassigned ,  systemassigned', 'SystemAssigned, UserAssigned'],
    ]
    for (const [raw, want] of cases) assert.equal(parseIdentityType(raw), want, raw)
  })

  it('rejects anything else with InvalidIdentityType', () => {
    for (const raw of [
      '',
      'Both',
      'None, SystemAssigned',
      'SystemAssigned,SystemAssigned',
      'System Assigned,',
      7,
    ]) {
      assert.throws(
        () => parseIdentityType(raw),
        {
          code: 'InvalidIdentityType',
          status: 400,
          target: 'identity.type',
          message: `identity type '${String(raw)}' is invalid: it must be one of ${TYPES}`,
        },
        String(raw),
      )
    }
  })
})

describe('parseIdentitySpec', () => {
  it('parses valid identity properties', () => {
    const cases: Array<[unknown, 'put' | 'patch', ReturnType<typeof summary>]> = [
      [undefined, 'put', undefined],
      [null, 'patch', undefined],
      [{ type: 'SystemAssigned' }, 'put', { type: 'SystemAssigned', users: undefined }],
      [
        { type: 'UserAssigned', userAssignedIdentities: { [ID1]: {} } },
        'put',
        { type: 'UserAssigned', users: [[ID1, false]] },
      ],
      [
        // A GET-modify-PUT sends read-only values back.
        {
          type: 'SystemAssigned,UserAssigned',
          principalId: 'p',
          tenantId: 't',
          userAssignedIdentities: { [ID1]: { principalId: 'p1', clientId: 'c1' } },
        },
        'put',
        { type: 'SystemAssigned, UserAssigned', users: [[ID1, false]] },
      ],
      [
        { userAssignedIdentities: { [ID1]: {}, [ID2]: null } },
        'patch',
        {
          type: undefined,
          users: [
            [ID1, false],
            [ID2, true],
          ],
        },
      ],
      [
        { type: 'SystemAssigned', userAssignedIdentities: {} },
        'put',
        { type: 'SystemAssigned', users: [] },
      ],
      [{}, 'patch', { type: undefined, users: undefined }],
      [{ Type: 'none', UserAssignedIdentities: null }, 'patch', { type: 'None', users: undefined }],
    ]
    for (const [identity, mode, want] of cases) {
      assert.deepEqual(summary(parseIdentitySpec(identity, mode)), want, JSON.stringify(identity))
    }
  })

  it('normalizes identity keys that differ only in keyword casing or slashes', () => {
    const spec = parseIdentitySpec(
      {
        type: 'UserAssigned',
        userAssignedIdentities: { [ID1.replace('resourceGroups', 'resourcegroups/')]: {} },
      },
      'put',
    )
    assert.equal(spec?.userAssignedIdentities?.[0]?.id.id, ID1)
  })

  it('rejects malformed identity properties with the Azure code and a clear message', () => {
    const path = 'identity.userAssignedIdentities'
    const notUami = (id: string) =>
      `property id '${id}' at path '${path}' is invalid: expected the fully qualified id of a 'Microsoft.ManagedIdentity/userAssignedIdentities' resource`
    const VM =
      '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1'
    const cases: Array<[unknown, 'put' | 'patch', string, string]> = [
      ['SystemAssigned', 'put', 'InvalidRequestContent', 'identity must be an object'],
      [[], 'put', 'InvalidRequestContent', 'identity must be an object'],
      [
        { type: 'Magic' },
        'put',
        'InvalidIdentityType',
        `identity type 'Magic' is invalid: it must be one of ${TYPES}`,
      ],
      [{}, 'put', 'InvalidIdentityType', `identity type is required: it must be one of ${TYPES}`],
      [
        { type: 'None', extra: 1 },
        'put',
        'InvalidRequestContent',
        "could not find member 'extra' on object of type 'identity'",
      ],
      [
        { type: 'UserAssigned', identityIds: [ID1] },
        'put',
        'InvalidRequestContent',
        'identity.identityIds (api-version 2017-12-01) is not supported; use userAssignedIdentities',
      ],
      [
        { type: 'UserAssigned', userAssignedIdentities: [ID1] },
        'put',
        'InvalidRequestContent',
        'identity.userAssignedIdentities must be an object keyed by id',
      ],
      [
        { type: 'UserAssigned', userAssignedIdentities: { id1: {} } },
        'put',
        'LinkedInvalidPropertyId',
        notUami('id1'),
      ],
      [
        { type: 'UserAssigned', userAssignedIdentities: { [VM]: {} } },
        'put',
        'LinkedInvalidPropertyId',
        notUami(VM),
      ],
      [
        { type: 'UserAssigned', userAssignedIdentities: { [`${ID1}/x`]: {} } },
        'put',
        'LinkedInvalidPropertyId',
        notUami(`${ID1}/x`),
      ],
      [
        { type: 'UserAssigned', userAssignedIdentities: { [ID1]: null } },
        'put',
        'InvalidRequestContent',
        `user-assigned identity '${ID1}' is null; null removes only in a PATCH`,
      ],
      [
        { type: 'UserAssigned', userAssignedIdentities: { [ID1]: { clientId: 'c', other: 1 } } },
        'put',
        'InvalidRequestContent',
        `user-assigned identity '${ID1}' must map to {} or null`,
      ],
      [
        { type: 'UserAssigned', userAssignedIdentities: { [ID1]: true } },
        'patch',
        'InvalidRequestContent',
        `user-assigned identity '${ID1}' must map to {} or null`,
      ],
      [
        {
          userAssignedIdentities: {
            [ID1]: {},
            [ID1.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions')]: null,
          },
        },
        'patch',
        'InvalidRequestContent',
        `user-assigned identity '${ID1.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions')}' is listed more than once`,
      ],
      [
        { type: 'SystemAssigned', userAssignedIdentities: { [ID1]: {} } },
        'put',
        'BadRequest',
        "a non-UserAssigned identity type ('SystemAssigned') should not contain userAssignedIdentities",
      ],
      [
        { type: 'None', userAssignedIdentities: { [ID1]: null } },
        'patch',
        'BadRequest',
        "a non-UserAssigned identity type ('None') should not contain userAssignedIdentities",
      ],
    ]
    for (const [identity, mode, code, message] of cases) {
      assert.throws(
        () => parseIdentitySpec(identity, mode),
        { code, status: 400, message },
        JSON.stringify(identity),
      )
    }
  })
})
