import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { normalizePath, parseTarget } from '../target.js'
import { authorizationId } from './target.js'

const S = '/subscriptions/11111111-2222-3333-4444-555555555555'
const G = `${S}/resourceGroups/rg1`
const VM = `${G}/providers/Microsoft.Compute/virtualMachines/vm1`
const GUID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'
const AUTHZ = 'providers/Microsoft.Authorization'

describe('parseTarget for Microsoft.Authorization', () => {
  const cases: [string, string, string, string | undefined][] = [
    [`/${AUTHZ}/roleDefinitions/${GUID}`, 'roleDefinition', '/', GUID],
    [`/${AUTHZ}/roleDefinitions`, 'roleDefinitions', '/', undefined],
    [`/${AUTHZ}/roleAssignments`, 'roleAssignments', '/', undefined],
    [`${S}/${AUTHZ}/roleDefinitions/${GUID}`, 'roleDefinition', S, GUID],
    [`${S}/${AUTHZ}/roleAssignments`, 'roleAssignments', S, undefined],
    [`${G}/${AUTHZ}/roleAssignments/${GUID}`, 'roleAssignment', G, GUID],
    [`${G}/${AUTHZ}/denyAssignments`, 'denyAssignments', G, undefined],
    [`${VM}/${AUTHZ}/denyAssignments/${GUID}`, 'denyAssignment', VM, GUID],
    [`${VM}/${AUTHZ}/permissions`, 'permissions', VM, undefined],
    [`${G}/providers/microsoft.authorization/ROLEASSIGNMENTS/abc`, 'roleAssignment', G, 'abc'],
    [
      `${G}/providers/Microsoft.Storage/storageAccounts/a/blobServices/default/containers/c/${AUTHZ}/roleAssignments`,
      'roleAssignments',
      `${G}/providers/Microsoft.Storage/storageAccounts/a/blobServices/default/containers/c`,
      undefined,
    ],
  ]
  for (const [path, kind, scope, name] of cases) {
    it(`reads ${path.replace(S, '/subscriptions/{s}')} as ${kind}`, () => {
      const t = parseTarget(path) as { kind: string; scope: { id: string }; name?: string }
      assert.equal(t.kind, kind)
      assert.equal(t.scope.id, scope)
      assert.equal(t.name, name)
    })
  }

  it('reads the paths SDKs build from a scope with a leading slash and an empty parent path', () => {
    const t = parseTarget(
      normalizePath(
        `//subscriptions/s/resourcegroups/rg1/providers/Microsoft.Web//sites/app1/${AUTHZ}/permissions`,
      ),
    ) as { kind: string; scope: { id: string } }
    assert.equal(t.kind, 'permissions')
    assert.equal(
      t.scope.id,
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Web/sites/app1',
    )
    const root = parseTarget(normalizePath(`///${AUTHZ}/roleDefinitions/${GUID}`))
    assert.equal(root.kind, 'roleDefinition')
  })

  it('answers InvalidResourceType for types it does not serve', () => {
    for (const path of [
      `${S}/${AUTHZ}/locks/l1`,
      `${S}/${AUTHZ}/permissions/x`,
      `${S}/${AUTHZ}/roleAssignments/a/b`,
      `${S}/${AUTHZ}`,
    ]) {
      assert.throws(() => parseTarget(path), { code: 'InvalidResourceType', status: 404 }, path)
    }
  })

  it('rejects a malformed scope with InvalidResourceId', () => {
    assert.throws(() => parseTarget(`${S}/things/x/${AUTHZ}/roleAssignments`), {
      code: 'InvalidResourceId',
    })
  })

  it('leaves other paths to the rest of the parser', () => {
    assert.equal(parseTarget(VM).kind, 'resource')
    assert.throws(() => parseTarget('/providers/Microsoft.Compute/operations'), {
      code: 'NotFound',
    })
  })
})

describe('authorizationId', () => {
  it('builds ids at a scope, and the tenant form at the root', () => {
    assert.equal(authorizationId(G, 'roleAssignments', 'x'), `${G}/${AUTHZ}/roleAssignments/x`)
    assert.equal(authorizationId('/', 'roleDefinitions', GUID), `/${AUTHZ}/roleDefinitions/${GUID}`)
  })
})
