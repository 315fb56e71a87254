import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  evaluateClaimsExpression,
  ExpressionSyntaxError,
  parseClaimsExpression,
  wildcardMatches,
} from './claims-expression.js'

const github = {
  sub: 'repo:octo-org/app:ref:refs/heads/main',
  aud: ['api://AzureADTokenExchange', 'other'],
  ref: 'refs/heads/main',
  job_workflow_ref: 'octo-org/shared/.github/workflows/deploy.yml@refs/tags/v2.1',
  'kubernetes.io': { namespace: 'prod', serviceaccount: { name: 'api' } },
}

describe('claims matching expressions', () => {
  const cases: [string, boolean, RegExp?][] = [
    ["claims['sub'] matches 'repo:octo-org/*'", true],
    ["claims['sub'] matches 'repo:octo-org/*:ref:refs/heads/main'", true],
    ["claims['sub'] matches 'repo:octo-org/*:ref:refs/heads/dev'", false, /is false/],
    ["claims['sub'] matches 'repo:octo-org/ap?:*'", true],
    ["claims['sub'] matches 'repo:OCTO-org/*'", false, /the claim is 'repo:octo-org/],
    ["claims['sub'] eq 'repo:octo-org/app:ref:refs/heads/main'", true],
    ["claims['sub'] eq 'repo:octo-org/*'", false],
    ["claims['aud'] eq 'other'", true],
    [
      "claims['sub'] matches 'repo:octo-org/*' and claims['job_workflow_ref'] matches 'octo-org/shared/.github/workflows/deploy.yml@refs/tags/v*'",
      true,
    ],
    [
      "claims['sub'] matches 'repo:octo-org/*' and claims['ref'] eq 'refs/heads/dev'",
      false,
      /claims\['ref'\] eq 'refs\/heads\/dev' is false \(the claim is 'refs\/heads\/main'\)/,
    ],
    ["(claims['ref'] eq 'refs/heads/main' and claims['sub'] matches '*')", true],
    ["claims['kubernetes.io']['namespace'] eq 'prod'", true],
    ["claims['kubernetes.io']['serviceaccount']['name'] matches 'a*'", true],
    ["claims['environment'] eq 'prod'", false, /the claim is absent/],
  ]
  for (const [src, expected, why] of cases) {
    it(`evaluates ${src} to ${expected}`, () => {
      const r = evaluateClaimsExpression(parseClaimsExpression(src), github)
      assert.equal(r.ok, expected)
      if (why && !r.ok) assert.match(r.failed, why)
    })
  }

  const bad: [string, RegExp][] = [
    ['', /expected claims at the end/],
    ["claims['sub']", /expected 'matches' or 'eq' at the end/],
    ["claims['sub'] like 'x'", /expected 'matches' or 'eq' at 14, found 'like'/],
    ["claims['sub'] eq 'x' or claims['ref'] eq 'y'", /expected 'and' or the end/],
    ["claims['sub'] eq 'x", /unterminated string/],
    ["claims['email'] eq 'x'", /claim 'email' cannot be used/],
    ["claims[sub] eq 'x'", /expected string/],
    ["claims['sub'] eq 'x' and", /expected claims at the end/],
    ["claims['sub'] == 'x'", /unexpected '='/],
    ["(claims['sub'] eq 'x'", /expected \) at the end/],
  ]
  for (const [src, why] of bad) {
    it(`refuses the expression ${JSON.stringify(src)}`, () => {
      assert.throws(
        () => parseClaimsExpression(src),
        (e: Error) => {
          assert.ok(e instanceof ExpressionSyntaxError)
          assert.match(e.message, why)
          return true
        },
      )
    })
  }

  const globs: [string, string, boolean][] = [
    ['*', '', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['??', 'ab', true],
    ['??', 'abc', false],
    ['*.*', 'no-dot', false],
    ['a'.repeat(30) + '*b', 'a'.repeat(600), false],
  ]
  for (const [pattern, text, expected] of globs) {
    it(`wildcard '${pattern.slice(0, 20)}' against '${text.slice(0, 20)}' is ${expected}`, () => {
      assert.equal(wildcardMatches(pattern, text), expected)
    })
  }
})
