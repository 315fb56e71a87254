import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { shellQuote } from './env.js'

describe('keyless env quoting', () => {
  const values = ['plain', '', "it's", 'a b\tc\nd', '$HOME `id` $(id) \\ " !', "''"]
  for (const value of values) {
    it(`survives the shell unchanged: ${JSON.stringify(value)}`, () => {
      const out = execFileSync('/bin/sh', ['-c', `export V=${shellQuote(value)}; printf %s "$V"`])
      assert.equal(out.toString(), value)
    })
  }
})
