import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { normalizePath, parseTarget } from './target.js'

const S = '/subscriptions/11111111-2222-3333-4444-555555555555'

describe('parseTarget', () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['/tenants', 'tenants', {}],
    ['/subscriptions', 'subscriptions', {}],
    [S, 'subscription', {}],
    [`${S}/resourcegroups`, 'resourceGroups', {}],
    [`${S}/resourceGroups/rg1`, 'resourceGroup', { id: `${S}/resourceGroups/rg1` }],
    [`${S}/RESOURCEGROUPS/Rg1`, 'resourceGroup', { id: `${S}/resourceGroups/Rg1` }],
    [`${S}/operationresults/abc`, 'operationResult', { token: 'abc' }],
    [
      `${S}/resourceGroups/rg1/resources`,
      'resources',
      { type: undefined, scope: `${S}/resourceGroups/rg1` },
    ],
    [`${S}/resources`, 'resources', { type: undefined, scope: S }],
    [
      `${S}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines`,
      'resources',
      { type: 'Microsoft.Compute/virtualMachines', scope: `${S}/resourceGroups/rg1` },
    ],
    [
      `${S}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`,
      'resources',
      { type: 'Microsoft.ManagedIdentity/userAssignedIdentities', scope: S },
    ],
    [
      `${S}/resourceGroups/rg1/providers/Microsoft.Web/sites/app1/slots`,
      'resources',
      {
        type: 'Microsoft.Web/sites/slots',
        scope: `${S}/resourceGroups/rg1/providers/Microsoft.Web/sites/app1`,
      },
    ],
    [`${S}/resourceGroups/rg1/providers/Microsoft.Web/sites/app1/slots/s1`, 'resource', {}],
    [
      `${S}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.ManagedIdentity/identities/default`,
      'systemIdentity',
      {},
    ],
  ]
  for (const [path, kind, fields] of cases) {
    it(`reads ${path.replace(S, '/subscriptions/{s}')} as ${kind}`, () => {
      const t = parseTarget(path) as Record<string, any>
      assert.equal(t.kind, kind)
      for (const [k, v] of Object.entries(fields)) {
        const actual = typeof t[k] === 'object' && t[k] !== null ? t[k].id : t[k]
        assert.equal(actual, v, k)
      }
    })
  }

  it('rejects malformed ids with InvalidResourceId', () => {
    for (const path of [
      `${S}/resourceGroups/rg1/providers/Microsoft.Compute`,
      `${S}/things/x`,
      `${S}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Foo/bars/x`,
    ]) {
      assert.throws(() => parseTarget(path), { code: 'InvalidResourceId' }, path)
    }
  })

  it('answers NotFound outside /subscriptions', () => {
    assert.throws(() => parseTarget('/providers/x'), { code: 'NotFound', status: 404 })
  })
})

describe('normalizePath', () => {
  it('decodes, collapses // and drops a trailing slash', () => {
    assert.equal(
      normalizePath('//subscriptions/s//resourceGroups/my%20rg/?x=1'),
      '/subscriptions/s/resourceGroups/my rg',
    )
  })

  it('refuses encoded slashes and bad escapes before decoding', () => {
    assert.throws(() => normalizePath('/subscriptions/s/resourceGroups/a%2Fb'), {
      code: 'InvalidResourceId',
    })
    assert.throws(() => normalizePath('/subscriptions/s/resourceGroups/%E0%A4%A'), {
      code: 'InvalidResourceId',
    })
  })
})
