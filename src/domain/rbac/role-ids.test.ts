import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseScope } from '../resource-id.js'
import {
  isGuid,
  roleAssignmentGuid,
  roleDefinitionGuid,
  roleDefinitionResourceId,
} from './role-ids.js'

const G = 'ACDD72A7-3385-48EF-BD42-F606FBA81AE7'

describe('role ids', () => {
  const good: Array<[string, string]> = [
    [G, G.toLowerCase()],
    [`/providers/Microsoft.Authorization/roleDefinitions/${G}`, G.toLowerCase()],
    [`/subscriptions/s1/providers/microsoft.authorization/ROLEDEFINITIONS/${G}`, G.toLowerCase()],
    [`//subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/${G}`, G.toLowerCase()],
  ]
  for (const [raw, want] of good) {
    it(`reads the role definition GUID of '${raw}'`, () => {
      assert.equal(roleDefinitionGuid(raw), want)
    })
  }

  for (const raw of ['Reader', '', `/subscriptions/s1/roleDefinitions/${G}`, `${G}x`]) {
    it(`rejects '${raw}' as a role definition id`, () => {
      assert.throws(() => roleDefinitionGuid(raw), {
        code: 'InvalidRoleDefinitionId',
        status: 400,
        message: `The role definition ID '${raw}' is not valid.`,
      })
    })
  }

  it('writes a role definition id under the scope subscription, or in tenant form', () => {
    assert.equal(
      roleDefinitionResourceId(parseScope('/subscriptions/S1/resourceGroups/rg'), G),
      `/subscriptions/S1/providers/Microsoft.Authorization/roleDefinitions/${G.toLowerCase()}`,
    )
    assert.equal(
      roleDefinitionResourceId(parseScope('/'), G),
      `/providers/Microsoft.Authorization/roleDefinitions/${G.toLowerCase()}`,
    )
  })

  it('accepts only GUIDs as role assignment names', () => {
    assert.equal(roleAssignmentGuid(G), G.toLowerCase())
    assert.throws(() => roleAssignmentGuid('my-assignment'), {
      code: 'InvalidRoleAssignmentId',
      status: 400,
      message:
        "The role assignment ID 'my-assignment' is not valid. The role assignment ID must be a GUID.",
    })
    assert.equal(isGuid(42), false)
  })
})
