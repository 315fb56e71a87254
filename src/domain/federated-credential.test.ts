import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  DEFAULT_FEDERATION_AUDIENCE,
  parseFederatedCredentialBody,
  validateFederatedCredentialName,
} from './federated-credential.js'

const GH = 'https://token.actions.githubusercontent.com'
const SUB = 'repo:octo/app:ref:refs/heads/main'
const EXPR = { value: "claims['sub'] matches 'repo:octo/*'", languageVersion: 1 }

describe('federated credential rules', () => {
  it('accepts names of 3 to 120 URL-friendly characters starting with a letter or digit', () => {
    for (const name of ['abc', 'a-b_c', '1ci', 'x'.repeat(120)])
      validateFederatedCredentialName(name)
    for (const name of ['ab', 'x'.repeat(121), '-ci', '_ci', 'c i', 'ci/x', 'ci.x']) {
      assert.throws(() => validateFederatedCredentialName(name), {
        code: 'BadRequest',
        status: 400,
        target: 'name',
      })
    }
  })

  it('defaults the audience to api://AzureADTokenExchange', () => {
    assert.deepEqual(parseFederatedCredentialBody({ properties: { issuer: GH, subject: SUB } }), {
      issuer: GH,
      subject: SUB,
      audiences: [DEFAULT_FEDERATION_AUDIENCE],
    })
  })

  it('takes an expression instead of a subject', () => {
    assert.deepEqual(
      parseFederatedCredentialBody({ properties: { issuer: GH, claimsMatchingExpression: EXPR } }),
      { issuer: GH, audiences: [DEFAULT_FEDERATION_AUDIENCE], claimsMatchingExpression: EXPR },
    )
  })

  const refusals: [string, unknown, string, RegExp][] = [
    ['no properties', {}, 'properties', /must specify 'properties'/],
    ['no issuer', { properties: { subject: SUB } }, 'properties.issuer', /non-empty string/],
    [
      'http issuer',
      { properties: { issuer: 'http://x.test', subject: SUB } },
      'properties.issuer',
      /https/,
    ],
    [
      'not a URL',
      { properties: { issuer: 'token', subject: SUB } },
      'properties.issuer',
      /not a valid URL/,
    ],
    [
      'user info',
      { properties: { issuer: 'https://u:p@x.test', subject: SUB } },
      'properties.issuer',
      /user info/,
    ],
    ['neither', { properties: { issuer: GH } }, 'properties.subject', /exactly one/],
    [
      'both',
      { properties: { issuer: GH, subject: SUB, claimsMatchingExpression: EXPR } },
      'properties.claimsMatchingExpression',
      /exactly one/,
    ],
    [
      'empty subject',
      { properties: { issuer: GH, subject: '' } },
      'properties.subject',
      /non-empty/,
    ],
    [
      'long subject',
      { properties: { issuer: GH, subject: 's'.repeat(601) } },
      'properties.subject',
      /600/,
    ],
    [
      'two audiences',
      { properties: { issuer: GH, subject: SUB, audiences: ['a', 'b'] } },
      'properties.audiences',
      /exactly one/,
    ],
    [
      'no audience',
      { properties: { issuer: GH, subject: SUB, audiences: [] } },
      'properties.audiences',
      /exactly one/,
    ],
    [
      'audience not a string',
      { properties: { issuer: GH, subject: SUB, audiences: [1] } },
      'properties.audiences',
      /non-empty string/,
    ],
    [
      'expression version',
      { properties: { issuer: GH, claimsMatchingExpression: { value: 'x', languageVersion: 2 } } },
      'properties.claimsMatchingExpression.languageVersion',
      /must be 1/,
    ],
  ]
  for (const [name, body, target, message] of refusals) {
    it(`refuses a body with ${name}, naming ${target}`, () => {
      assert.throws(() => parseFederatedCredentialBody(body), {
        code: 'BadRequest',
        status: 400,
        target,
        message,
      })
    })
  }
})
