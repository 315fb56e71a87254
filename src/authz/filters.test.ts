import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseAssignmentFilter, parseDefinitionFilter } from './filters.js'

const P = 'AAAAAAAA-0000-0000-0000-000000000001'

describe('parseAssignmentFilter', () => {
  const cases: Array<[string | undefined, object]> = [
    [undefined, { atScope: false }],
    ['atScope()', { atScope: true }],
    [`principalId eq '${P}'`, { atScope: false, principalId: P.toLowerCase() }],
    [`assignedTo('${P}')`, { atScope: false, principalId: P.toLowerCase() }],
    [`atScope() and assignedTo('${P}')`, { atScope: true, principalId: P.toLowerCase() }],
    [`atScope()+and+principalId+eq+'${P}'`, { atScope: true, principalId: P.toLowerCase() }],
    [`PRINCIPALID EQ '${P}' AND ATSCOPE()`, { atScope: true, principalId: P.toLowerCase() }],
  ]
  for (const [filter, want] of cases) {
    it(`reads ${JSON.stringify(filter)}`, () =>
      assert.deepEqual(parseAssignmentFilter(filter), want))
  }
  for (const filter of [
    'atScope',
    'principalId eq x',
    "roleName eq 'x'",
    'atScope() or atScope()',
  ]) {
    it(`rejects '${filter}' with InvalidFilter`, () => {
      assert.throws(() => parseAssignmentFilter(filter), {
        status: 400,
        code: 'InvalidFilter',
        message: `The filter '${filter}' is not supported.`,
      })
    })
  }
})

describe('parseDefinitionFilter', () => {
  const cases: Array<[string | undefined, object]> = [
    [undefined, { atScopeAndBelow: false }],
    ["roleName eq 'Reader'", { atScopeAndBelow: false, roleName: 'Reader' }],
    [
      "roleName eq 'Bob''s and Alice''s role'",
      { atScopeAndBelow: false, roleName: "Bob's and Alice's role" },
    ],
    ["type eq 'customrole'", { atScopeAndBelow: false, type: 'CustomRole' }],
    ["atScopeAndBelow() and type eq 'BuiltInRole'", { atScopeAndBelow: true, type: 'BuiltInRole' }],
  ]
  for (const [filter, want] of cases) {
    it(`reads ${JSON.stringify(filter)}`, () =>
      assert.deepEqual(parseDefinitionFilter(filter), want))
  }
  it('rejects an unknown clause', () => {
    assert.throws(() => parseDefinitionFilter("type eq 'Other'"), { code: 'InvalidFilter' })
  })
})
