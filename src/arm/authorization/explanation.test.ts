import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { AccessDecision } from '../../domain/rbac/evaluate.js'
import { explanationOf } from './explanation.js'

const check = {
  principalId: 'p1',
  action: 'Microsoft.Compute/virtualMachines/write',
  scope: '/subscriptions/s/resourceGroups/a',
}
const grant = {
  assignmentId: 'ra1',
  roleDefinitionId: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  roleName: 'Contributor',
  permission: '*',
  scope: '/subscriptions/s',
}

describe('explanationOf', () => {
  const cases: [string, AccessDecision, string][] = [
    [
      'an allowed action names the assignment, role, permission and scope',
      { allowed: true, decision: 'allowed', grant, reason: '' },
      "principal p1 → role assignment ra1 at scope '/subscriptions/s' → role 'Contributor' (b24988ac-6180-42a0-ab88-20f7382dd24c) → permission '*' matches 'Microsoft.Compute/virtualMachines/write' → allowed at scope '/subscriptions/s/resourceGroups/a'",
    ],
    [
      'a denied action names the deny assignment and the grant it overrode',
      {
        allowed: false,
        decision: 'denied',
        deny: { denyAssignmentId: 'd1', denyAssignmentName: 'fence', scope: '/', permission: '*' },
        grant,
        reason: '',
      },
      "principal p1 → deny assignment 'fence' (d1) at scope '/' → permission '*' denies 'Microsoft.Compute/virtualMachines/write' → denied at scope '/subscriptions/s/resourceGroups/a' (overriding role assignment ra1: role 'Contributor' grants '*')",
    ],
    [
      'an action without assignments says so',
      { allowed: false, decision: 'notAllowed', considered: [], reason: '' },
      "principal p1 → no role assignment at or above scope '/subscriptions/s/resourceGroups/a' → 'Microsoft.Compute/virtualMachines/write' not allowed",
    ],
    [
      'an action no assignment grants lists why each did not',
      {
        allowed: false,
        decision: 'notAllowed',
        considered: [
          {
            assignmentId: 'ra2',
            roleDefinitionId: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
            roleName: 'Reader',
            scope: '/subscriptions/s',
            reason: 'no permission matches',
          },
        ],
        reason: '',
      },
      "principal p1 → role assignment ra2 at scope '/subscriptions/s' → role 'Reader': no permission matches → 'Microsoft.Compute/virtualMachines/write' not allowed at scope '/subscriptions/s/resourceGroups/a'",
    ],
  ]
  for (const [name, decision, expected] of cases) {
    it(name, () => assert.equal(explanationOf(check, decision), expected))
  }
})
