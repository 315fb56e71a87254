import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseActivityFilter } from './activity-filter.js'

const T1 = '2026-12-01T00:00:00Z'
const T2 = '2026-12-02T00:00:00.5Z'

describe('activity log $filter', () => {
  const cases: [string, unknown][] = [
    [`eventTimestamp ge '${T1}'`, { since: Date.parse(T1) }],
    [
      `eventTimestamp ge '${T1}' and eventTimestamp le '${T2}'`,
      { since: Date.parse(T1), until: Date.parse(T2) },
    ],
    [
      `EventTimestamp GE '${T1}' and resourceGroupName eq 'Rg-1'`,
      { since: Date.parse(T1), resourceGroupName: 'Rg-1' },
    ],
    [
      `eventTimestamp ge '${T1}' and resourceUri eq '/subscriptions/s/resourceGroups/o''brien'`,
      { since: Date.parse(T1), resourceUri: "/subscriptions/s/resourceGroups/o'brien" },
    ],
    [
      `eventTimestamp ge '${T1}' and correlationId eq 'abc' and status eq 'Failed'`,
      { since: Date.parse(T1), correlationId: 'abc', status: 'Failed' },
    ],
  ]
  for (const [filter, expected] of cases) {
    it(`reads ${filter}`, () => assert.deepEqual(parseActivityFilter(filter), expected))
  }

  const bad: [unknown, RegExp][] = [
    [undefined, /is required/],
    [`resourceGroupName eq 'x'`, /must contain eventTimestamp ge/],
    [`eventTimestamp ge 'yesterday'`, /not a valid date/],
    [`eventTimestamp ge '${T1}' or resourceGroupName eq 'x'`, /could not be read/],
    [`eventTimestamp ge '${T1}' and level eq 'Error'`, /'level eq' is not supported/],
    [`eventTimestamp ge '${T2}' and eventTimestamp le '${T1}'`, /before its start/],
    [`eventTimestamp ge '${T1}' and status eq 'Done'`, /status must be one of/],
  ]
  for (const [filter, message] of bad) {
    it(`refuses ${String(filter)} with InvalidFilter`, () =>
      assert.throws(() => parseActivityFilter(filter), {
        code: 'InvalidFilter',
        status: 400,
        message,
      }))
  }
})
