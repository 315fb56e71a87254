import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { hasDuplicateMembers } from './json-members.js'

describe('duplicate JSON member names', () => {
  const rows: [string, boolean][] = [
    ['{"a":1,"b":2}', false],
    ['{"a":1,"a":2}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{ "a" : 1 , "a" : 2 }', true],
    ['{"a":{"a":1},"b":{"a":2}}', false],
    ['{"a":{"x":1,"x":2}}', true],
    ['{"a":[{"x":1},{"x":2}]}', false],
    ['{"a":"\\"a\\":","b":"a"}', false],
    ['{"a":["a","a"]}', false],
    ['[{"k":1,"k":1}]', true],
  ]
  for (const [text, duplicate] of rows) {
    it(`${duplicate ? 'finds' : 'finds none in'} ${text}`, () => {
      JSON.parse(text)
      assert.equal(hasDuplicateMembers(text), duplicate)
    })
  }
})
