import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkConditions, type ConditionKind } from './conditions.js'

const current = { etag: '0x8DBE5A1B2C3D4E6', updated_at: Date.parse('2026-01-01T10:00:00Z') + 500 }
const quoted = `"${current.etag}"`
const before = 'Thu, 01 Jan 2026 09:59:59 GMT'
const same = 'Thu, 01 Jan 2026 10:00:00 GMT'

type Case = [string, Record<string, string>, boolean, ConditionKind, string]

describe('conditional headers', () => {
  it('decides every header against the current version', () => {
    // [name, headers, exists, kind, outcome]: outcome is ok, not-modified or an error code
    const cases: Case[] = [
      ['no conditions', {}, true, 'write', 'ok'],
      ['If-Match quoted', { 'if-match': quoted }, true, 'write', 'ok'],
      ['If-Match bare', { 'if-match': current.etag }, true, 'read', 'ok'],
      ['If-Match in a list', { 'if-match': `"0x1", ${quoted}` }, true, 'write', 'ok'],
      ['If-Match other', { 'if-match': '"0x1"' }, true, 'write', 'ConditionNotMet'],
      ['If-Match other on read', { 'if-match': '"0x1"' }, true, 'read', 'ConditionNotMet'],
      ['If-Match * exists', { 'if-match': '*' }, true, 'write', 'ok'],
      ['If-Match * absent', { 'if-match': '*' }, false, 'create', 'ConditionNotMet'],
      ['If-None-Match * absent', { 'if-none-match': '*' }, false, 'create', 'ok'],
      [
        'If-None-Match * exists, create',
        { 'if-none-match': '*' },
        true,
        'create',
        'BlobAlreadyExists',
      ],
      ['If-None-Match * exists, write', { 'if-none-match': '*' }, true, 'write', 'ConditionNotMet'],
      ['If-None-Match * exists, read', { 'if-none-match': '*' }, true, 'read', 'not-modified'],
      ['If-None-Match same, read', { 'if-none-match': quoted }, true, 'read', 'not-modified'],
      ['If-None-Match same, write', { 'if-none-match': quoted }, true, 'write', 'ConditionNotMet'],
      ['If-None-Match other', { 'if-none-match': '"0x1"' }, true, 'read', 'ok'],
      ['If-Modified-Since earlier', { 'if-modified-since': before }, true, 'read', 'ok'],
      [
        'If-Modified-Since same second',
        { 'if-modified-since': same },
        true,
        'read',
        'not-modified',
      ],
      [
        'If-Modified-Since same, write',
        { 'if-modified-since': same },
        true,
        'write',
        'ConditionNotMet',
      ],
      ['If-Unmodified-Since same', { 'if-unmodified-since': same }, true, 'write', 'ok'],
      [
        'If-Unmodified-Since earlier',
        { 'if-unmodified-since': before },
        true,
        'write',
        'ConditionNotMet',
      ],
      ['dates on an absent blob', { 'if-unmodified-since': before }, false, 'create', 'ok'],
      ['a bad date', { 'if-modified-since': 'yesterday' }, true, 'read', 'InvalidHeaderValue'],
    ]
    for (const [name, headers, exists, kind, outcome] of cases) {
      let got: string
      try {
        got = checkConditions(headers, exists ? current : undefined, kind)
      } catch (e) {
        got = (e as { code: string }).code
      }
      assert.equal(got, outcome, name)
    }
  })
})
