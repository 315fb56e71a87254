import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  buildResourceId,
  isScopeWithin,
  miridForm,
  parseResourceId,
  parseScope,
  resourceGroupId,
  sameResourceId,
  scopeAncestors,
  subscriptionId,
} from './resource-id.js'

const RG = '/subscriptions/s1/resourceGroups/RG1'
const SITE = `${RG}/providers/Microsoft.Web/sites/App1`
const SLOT = `${SITE}/slots/Staging`
const UAMI = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`

const invalid = (raw: string, reason: string, what = 'resource id') => ({
  code: 'InvalidResourceId',
  status: 400,
  message: `${what} '${raw}' is invalid: ${reason}`,
})

describe('parseResourceId', () => {
  it('parses subscriptions, groups, resources and nested resources', () => {
    const cases = [
      {
        raw: '/subscriptions/s1',
        want: { id: '/subscriptions/s1', kind: 'subscription', names: [] },
      },
      {
        raw: RG,
        want: { id: RG, kind: 'resourceGroup', resourceGroup: 'RG1', names: [] },
      },
      {
        raw: SITE,
        want: {
          id: SITE,
          kind: 'resource',
          resourceGroup: 'RG1',
          namespace: 'Microsoft.Web',
          type: 'Microsoft.Web/sites',
          name: 'App1',
          names: ['App1'],
        },
      },
      {
        raw: SLOT,
        want: {
          id: SLOT,
          kind: 'resource',
          resourceGroup: 'RG1',
          namespace: 'Microsoft.Web',
          type: 'Microsoft.Web/sites/slots',
          name: 'Staging',
          names: ['App1', 'Staging'],
        },
      },
      {
        raw: '/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/g1',
        want: {
          id: '/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/g1',
          kind: 'resource',
          resourceGroup: undefined,
          type: 'Microsoft.Authorization/roleDefinitions',
          names: ['g1'],
        },
      },
    ]
    for (const { raw, want } of cases) {
      const got = parseResourceId(raw)
      assert.equal(got.subscriptionId, 's1', raw)
      assert.equal(got.key, want.id.toLowerCase(), raw)
      for (const [field, value] of Object.entries(want)) {
        assert.deepEqual(got[field as keyof typeof got], value, `${raw} ${field}`)
      }
    }
  })

  it('canonicalizes keyword casing, collapses repeated slashes and keeps name casing', () => {
    const cases = [
      '/SUBSCRIPTIONS/s1/resourcegroups/RG1/PROVIDERS/Microsoft.Web/sites/App1',
      '//subscriptions/s1/resourceGroups/RG1/providers/Microsoft.Web/sites/App1',
      '/subscriptions/s1//resourceGroups/RG1/providers/Microsoft.Web//sites/App1',
      '/subscriptions///s1/resourceGroups/RG1/providers/Microsoft.Web/sites/App1',
    ]
    for (const raw of cases) assert.equal(parseResourceId(raw).id, SITE, raw)
  })

  it('links a nested resource to its parent', () => {
    const slot = parseResourceId(SLOT)
    assert.equal(slot.parent?.id, SITE)
    assert.equal(slot.parent?.type, 'Microsoft.Web/sites')
    assert.equal(slot.parent?.parent, undefined)
    assert.equal(parseResourceId(SITE).parent, undefined)
  })

  it('rejects malformed ids with InvalidResourceId and the reason', () => {
    const sub = "it must start with '/subscriptions/{subscriptionId}'"
    const cases: Array<[string, string]> = [
      ['', 'it is empty'],
      ['subscriptions/s1', "it must start with '/'"],
      ['/', sub],
      ['/tenants/t1', sub],
      ['/subscriptions', 'the subscription id is missing'],
      ['/subscriptions/s1/', 'it ends with a slash'],
      ['/subscriptions/s1/resourceGroups', 'the resource group name is missing'],
      [`${RG}/providers`, 'the resource provider namespace is missing'],
      [`${RG}/providers/Microsoft.Web`, 'the resource type is missing'],
      [`${RG}/providers/Microsoft.Web/sites`, "the name for resource type 'sites' is missing"],
      [`${SITE}/slots`, "the name for resource type 'slots' is missing"],
      [
        `${RG}/extra/x`,
        "unexpected segment 'extra' where 'providers' or 'resourceGroups' was expected",
      ],
      [`${RG}/providers/web/sites/a`, "'web' is not a resource provider namespace"],
      [`${RG}/providers/Microsoft.Web/si.tes/a`, "'si.tes' is not a resource type"],
      [`${RG}/providers/Microsoft.Web/sites/../x`, "it contains a '.' or '..' segment"],
      [`${RG}/providers/Microsoft.Web/sites/./x`, "it contains a '.' or '..' segment"],
      [`${RG}/providers/Microsoft.Web/sites/%2e%2E`, "it contains a '.' or '..' segment"],
      [`${RG}/providers/Microsoft.Web/sites/a%2Fb`, 'it contains an encoded slash'],
      [`${RG}/providers/Microsoft.Web/sites/a%2fb`, 'it contains an encoded slash'],
      [`${RG}/providers/Microsoft.Web/sites/a\\b`, 'it contains a backslash'],
      [`${RG}/providers/Microsoft.Web/sites/a%5Cb`, 'it contains a backslash'],
      [`${SITE}?api-version=1`, "it contains '?' or '#'"],
      [`${SITE}\n`, 'it contains a control character'],
      [`${RG}/providers/Microsoft.Web/sites/a b`, "segment 'a b' contains whitespace"],
      [
        `${SITE}/providers/Microsoft.Authorization/roleAssignments/g1`,
        "extension resource ids (a nested '/providers/') are not accepted here",
      ],
    ]
    for (const [raw, reason] of cases) {
      assert.throws(() => parseResourceId(raw), invalid(raw, reason), raw)
    }
  })
})

describe('scopes', () => {
  it('parses the root, ARM scopes and data-plane sub-scopes', () => {
    const account = `${RG}/providers/Microsoft.Storage/storageAccounts/a1`
    const cases: Array<[string, string]> = [
      ['/', '/'],
      ['/subscriptions/s1', '/subscriptions/s1'],
      ['/subscriptions/s1/resourcegroups/RG1', RG],
      [SLOT, SLOT],
      [
        `${account}/blobServices/default/containers/c1/blobs/dir/sub dir/y.txt`,
        `${account}/blobServices/default/containers/c1/blobs/dir/sub dir/y.txt`,
      ],
      [
        `${RG}/providers/Microsoft.KeyVault//vaults/v1/secrets/db-pass`,
        `${RG}/providers/Microsoft.KeyVault/vaults/v1/secrets/db-pass`,
      ],
    ]
    for (const [raw, id] of cases) {
      const scope = parseScope(raw)
      assert.equal(scope.id, id, raw)
      assert.equal(scope.key, id.toLowerCase(), raw)
      assert.equal('/' + scope.segments.join('/'), id, raw)
    }
  })

  it('rejects malformed scopes with InvalidResourceId', () => {
    const cases: Array<[string, string]> = [
      [
        '/providers/Microsoft.Management/managementGroups/mg',
        "it must start with '/subscriptions/{subscriptionId}'",
      ],
      [
        `${RG}/providers/Microsoft.Storage/storageAccounts/a1/blobServices`,
        "the name for resource type 'blobServices' is missing",
      ],
      [
        `${RG}/providers/Microsoft.Storage/storageAccounts/a1/containers/c/blobs/x/../y`,
        "it contains a '.' or '..' segment",
      ],
    ]
    for (const [raw, reason] of cases) {
      assert.throws(() => parseScope(raw), invalid(raw, reason, 'scope'), raw)
    }
  })

  it('lists a scope and its ancestors at whole type/name pairs up to the root', () => {
    const blob =
      '/subscriptions/s1/resourcegroups/rg1/providers/microsoft.storage/storageaccounts/a1/blobservices/default/containers/c1/blobs/d/x.txt'
    assert.deepEqual(scopeAncestors(blob), [
      blob,
      '/subscriptions/s1/resourcegroups/rg1/providers/microsoft.storage/storageaccounts/a1/blobservices/default/containers/c1',
      '/subscriptions/s1/resourcegroups/rg1/providers/microsoft.storage/storageaccounts/a1/blobservices/default',
      '/subscriptions/s1/resourcegroups/rg1/providers/microsoft.storage/storageaccounts/a1',
      '/subscriptions/s1/resourcegroups/rg1',
      '/subscriptions/s1',
      '/',
    ])
    assert.deepEqual(scopeAncestors('/'), ['/'])
    assert.deepEqual(
      scopeAncestors('/subscriptions/s1/providers/microsoft.authorization/roledefinitions/g'),
      [
        '/subscriptions/s1/providers/microsoft.authorization/roledefinitions/g',
        '/subscriptions/s1',
        '/',
      ],
    )
  })

  it('decides whether a scope is within another on whole segments', () => {
    const site = SITE.toLowerCase()
    const cases: Array<[string, string, boolean]> = [
      [site, '/', true],
      [site, site, true],
      [`${site}/slots/staging`, site, true],
      [site, RG.toLowerCase(), true],
      [site, '/subscriptions/s1', true],
      ['/subscriptions/s10', '/subscriptions/s1', false],
      [`${site}2`, site, false],
      [RG.toLowerCase(), site, false],
      ['/', '/subscriptions/s1', false],
    ]
    for (const [child, ancestor, want] of cases) {
      assert.equal(isScopeWithin(child, ancestor), want, `${child} within ${ancestor}`)
    }
  })
})

describe('helpers', () => {
  it('compares ids case-insensitively, and an unparseable id equals nothing', () => {
    const cases: Array<[string, string, boolean]> = [
      [SITE, SITE.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions'), true],
      [SITE, SITE.replace('resourceGroups', 'resourcegroups').replace('/sites', '//sites'), true],
      [SITE, SLOT, false],
      ['nonsense', 'nonsense', false],
    ]
    for (const [a, b, want] of cases) assert.equal(sameResourceId(a, b), want, `${a} ${b}`)
    assert.equal(sameResourceId(parseResourceId(SITE), SITE.toLowerCase()), true)
  })

  it('builds subscription, group and resource ids, rejecting parts with slashes', () => {
    assert.equal(subscriptionId('s1'), '/subscriptions/s1')
    assert.equal(resourceGroupId('s1', 'RG1'), RG)
    const slot = buildResourceId({
      subscriptionId: 's1',
      resourceGroup: 'RG1',
      type: 'Microsoft.Web/sites/slots',
      names: ['App1', 'Staging'],
    })
    assert.equal(slot.id, SLOT)
    assert.throws(() => resourceGroupId('s1', 'a/b'), {
      code: 'InvalidResourceId',
      message: "resource group name 'a/b' is invalid: it must be one path segment",
    })
    assert.throws(
      () =>
        buildResourceId({ subscriptionId: 's1', type: 'Microsoft.Web/sites/slots', names: ['a'] }),
      {
        code: 'InvalidResourceId',
        message:
          "resource type 'Microsoft.Web/sites/slots' needs exactly one name per level, got 1",
      },
    )
  })

  it('writes xms_mirid with lower-case resourcegroups and everything else as created', () => {
    const cases: Array<[string, string]> = [
      [
        UAMI,
        '/subscriptions/s1/resourcegroups/RG1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1',
      ],
      [
        SLOT,
        '/subscriptions/s1/resourcegroups/RG1/providers/Microsoft.Web/sites/App1/slots/Staging',
      ],
      ['/subscriptions/s1/providers/Ns.X/t/n', '/subscriptions/s1/providers/Ns.X/t/n'],
    ]
    for (const [raw, want] of cases) {
      assert.equal(miridForm(raw), want)
      assert.equal(miridForm(parseResourceId(raw)), want)
    }
  })
})
