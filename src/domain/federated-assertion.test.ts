import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertionTimeProblem, isFederatedAlgorithm } from './federated-assertion.js'

describe('federated assertion rules', () => {
  const algs: [unknown, boolean][] = [
    ['RS256', true],
    ['PS512', true],
    ['ES384', true],
    ['none', false],
    ['HS256', false],
    ['HS512', false],
    ['EdDSA', false],
    ['rs256', false],
    [undefined, false],
  ]
  for (const [alg, ok] of algs) {
    it(`${ok ? 'accepts' : 'refuses'} alg ${String(alg)}`, () => {
      assert.equal(isFederatedAlgorithm(alg), ok)
    })
  }

  const now = 1_800_000_000
  const times: [string, Parameters<typeof assertionTimeProblem>[0], RegExp | undefined][] = [
    ['a ten-minute token', { iat: now - 60, exp: now + 540 }, undefined],
    ['a day-long token', { iat: now, exp: now + 86_400 }, undefined],
    ['a token within skew of now', { iat: now + 30, exp: now + 600 }, undefined],
    ['a token issued in the future', { iat: now + 120, exp: now + 600 }, /issued in the future/],
    ['a token living too long', { iat: now, exp: now + 86_401 }, /lives 86401 s/],
    ['a too-long token with an early nbf', { iat: now, nbf: now - 90_000, exp: now + 60 }, /lives/],
  ]
  for (const [what, t, expected] of times) {
    it(`judges ${what}`, () => {
      const problem = assertionTimeProblem(t, now, 60, 86_400)
      if (expected) assert.match(problem ?? '', expected)
      else assert.equal(problem, undefined)
    })
  }
})
