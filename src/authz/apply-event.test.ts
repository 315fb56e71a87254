import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BUILT_IN_ROLES, BUILT_IN_ROLE_IDS } from '../domain/rbac/built-in-roles.js'
import { EVERYONE } from '../domain/rbac/types.js'
import { applyEvent, type ChangeEvent } from './apply-event.js'
import { AssignmentIndex } from './assignment-index.js'

const P = 'aaaaaaaa-0000-0000-0000-000000000001'
const RG = '/subscriptions/s1/resourceGroups/rg1'
const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`
const NAME = 'bbbbbbbb-0000-0000-0000-000000000001'
const ROLE = 'cccccccc-0000-0000-0000-000000000001'
const RESTART = 'Microsoft.Compute/virtualMachines/restart/action'

function index(): AssignmentIndex {
  const i = new AssignmentIndex()
  for (const r of BUILT_IN_ROLES) i.setRole(r)
  return i
}

const created = (data: ChangeEvent['data']): ChangeEvent => ({
  kind: 'roleAssignment.created',
  subject: NAME,
  data,
})

describe('applyEvent', () => {
  it('applies role assignment events given as stored JSON or parsed, idempotently', () => {
    for (const asText of [true, false]) {
      const i = index()
      const data = { scope: RG, principalId: P, roleDefinitionId: BUILT_IN_ROLE_IDS.contributor }
      const event = created(asText ? JSON.stringify(data) : data) as Parameters<
        typeof applyEvent
      >[1]
      assert.equal(applyEvent(i, event), true)
      assert.equal(applyEvent(i, event), true)
      assert.equal(i.size, 1)
      assert.equal(i.checkAccess(P, 'Microsoft.Compute/virtualMachines/write', VM), true)
      applyEvent(i, { kind: 'roleAssignment.deleted', subject: NAME, data: { ...data } })
      applyEvent(i, { kind: 'roleAssignment.deleted', subject: NAME, data: { ...data } })
      assert.equal(i.size, 0)
    }
  })

  it('applies role definition and deny assignment events', () => {
    const i = index()
    const role = {
      roleName: 'Restarter',
      description: '',
      permissions: [{ actions: [RESTART], notActions: [], dataActions: [], notDataActions: [] }],
      assignableScopes: [RG],
    }
    applyEvent(i, { kind: 'roleDefinition.created', subject: ROLE, data: JSON.stringify(role) })
    applyEvent(i, created({ scope: RG, principalId: P, roleDefinitionId: ROLE }))
    assert.equal(i.checkAccess(P, RESTART, VM), true)
    const deny = {
      name: 'no restarts',
      scope: VM,
      permissions: [{ actions: ['*/action'], notActions: [], dataActions: [], notDataActions: [] }],
      principals: [{ id: EVERYONE, type: 'SystemDefined' }],
      excludePrincipals: [],
      doNotApplyToChildScopes: false,
    }
    applyEvent(i, { kind: 'denyAssignment.created', subject: 'd1', data: deny })
    assert.equal(i.checkAccess(P, RESTART, VM), false)
    applyEvent(i, { kind: 'denyAssignment.deleted', subject: 'd1', data: { scope: VM } })
    assert.equal(i.checkAccess(P, RESTART, VM), true)
    applyEvent(i, {
      kind: 'roleDefinition.updated',
      subject: ROLE,
      data: { ...role, permissions: [] },
    })
    assert.equal(i.checkAccess(P, RESTART, VM), false)
    applyEvent(i, { kind: 'roleDefinition.deleted', subject: ROLE, data: {} })
    assert.match(i.explain(P, RESTART, VM).reason, /does not exist/)
  })

  it('drops what a deleted principal or scope leaves behind, and ignores other events', () => {
    const i = index()
    applyEvent(i, created({ scope: VM, principalId: P, roleDefinitionId: BUILT_IN_ROLE_IDS.owner }))
    assert.equal(
      applyEvent(i, { kind: 'resource.updated', subject: VM.toLowerCase(), data: {} }),
      false,
    )
    assert.equal(i.size, 1)
    applyEvent(i, { kind: 'resource.deleted', subject: VM.toLowerCase(), data: {} })
    assert.equal(i.size, 0)
    applyEvent(i, created({ scope: RG, principalId: P, roleDefinitionId: BUILT_IN_ROLE_IDS.owner }))
    applyEvent(i, { kind: 'principal.deleted', subject: P, data: {} })
    assert.equal(i.size, 0)
    applyEvent(i, created({ scope: RG, principalId: P, roleDefinitionId: BUILT_IN_ROLE_IDS.owner }))
    applyEvent(i, { kind: 'resourceGroup.deleted', subject: RG.toLowerCase(), data: {} })
    assert.equal(i.size, 0)
  })
})
