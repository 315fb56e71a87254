import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { matchFederatedCredential, type FederatedCredentialRule } from './federated-match.js'

const GH = 'https://token.actions.githubusercontent.com'
const AUD = 'api://AzureADTokenExchange'
const main: FederatedCredentialRule = {
  name: 'main',
  issuer: GH,
  subject: 'repo:Octo/app:ref:refs/heads/main',
  audiences: [AUD],
}
const k8s: FederatedCredentialRule = {
  name: 'k8s',
  issuer: 'https://k8s.test',
  subject: 'system:serviceaccount:ns:sa',
  audiences: ['custom'],
}
const flex: FederatedCredentialRule = {
  name: 'flex',
  issuer: GH,
  audiences: [AUD],
  claimsMatchingExpression: { value: "claims['sub'] matches 'repo:*'", languageVersion: 1 },
}

describe('federated credential matching', () => {
  it('matches issuer, audience (string or array) and subject exactly', () => {
    for (const aud of [AUD, ['other', AUD]]) {
      const m = matchFederatedCredential({ iss: GH, sub: main.subject!, aud }, [k8s, main])
      assert.deepEqual(m, { ok: true, credential: main })
    }
  })

  const cases: [
    string,
    { iss: string; sub: string; aud: string | string[] },
    FederatedCredentialRule[],
    string,
    string | undefined,
    string | undefined,
  ][] = [
    [
      'no credentials at all',
      { iss: GH, sub: 'x', aud: AUD },
      [],
      'AADSTS70021',
      undefined,
      undefined,
    ],
    [
      'an unknown issuer',
      { iss: 'https://evil.test', sub: main.subject!, aud: AUD },
      [main],
      'AADSTS700211',
      'iss',
      'main',
    ],
    [
      'an issuer differing by a trailing slash',
      { iss: GH + '/', sub: main.subject!, aud: AUD },
      [main],
      'AADSTS700211',
      'iss',
      'main',
    ],
    [
      'a wrong audience',
      { iss: GH, sub: main.subject!, aud: 'api://other' },
      [main],
      'AADSTS700212',
      'aud',
      'main',
    ],
    [
      'a subject differing only in case',
      { iss: GH, sub: main.subject!.toLowerCase(), aud: AUD },
      [main],
      'AADSTS7002138',
      'sub',
      'main',
    ],
    [
      'a different subject',
      { iss: GH, sub: 'repo:Octo/app:pull_request', aud: AUD },
      [main],
      'AADSTS700213',
      'sub',
      'main',
    ],
    [
      'only an expression credential, not evaluated yet',
      { iss: GH, sub: 'repo:x', aud: AUD },
      [flex],
      'AADSTS700213',
      'sub',
      'flex',
    ],
  ]
  for (const [what, claims, credentials, code, claim, closest] of cases) {
    it(`refuses ${what} with ${code}, naming the claim`, () => {
      const m = matchFederatedCredential(claims, credentials)
      assert.equal(m.ok, false)
      if (m.ok) return
      assert.equal(m.code, code)
      assert.equal(m.claim, claim)
      assert.equal(m.closest, closest)
      assert.match(
        m.message,
        /^No matching federated identity record found for presented assertion/,
      )
    })
  }

  it('says when an expression credential was skipped', () => {
    const m = matchFederatedCredential({ iss: GH, sub: 'repo:x', aud: AUD }, [flex])
    assert.ok(!m.ok && /does not evaluate yet/.test(m.message))
  })
})
