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
      'a subject an expression credential does not match',
      { iss: GH, sub: 'org:x', aud: AUD },
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

  it('matches an expression credential whose expression holds', () => {
    const m = matchFederatedCredential({ iss: GH, sub: 'repo:x', aud: AUD }, [main, flex])
    assert.deepEqual(m, { ok: true, credential: flex })
  })

  it('says which term of an expression failed, and on what value', () => {
    const m = matchFederatedCredential({ iss: GH, sub: 'org:x', aud: AUD }, [flex])
    assert.ok(!m.ok)
    assert.match(
      m.message,
      /in credential 'flex' claims\['sub'\] matches 'repo:\*' is false \(the claim is 'org:x'\)/,
    )
  })

  it('matches expressions over other claims, such as the workflow ref', () => {
    const gated: FederatedCredentialRule = {
      ...flex,
      name: 'gated',
      claimsMatchingExpression: {
        value:
          "claims['sub'] matches 'repo:Octo/*' and claims['job_workflow_ref'] matches 'Octo/shared/*@refs/tags/v*'",
        languageVersion: 1,
      },
    }
    const claims = { iss: GH, sub: 'repo:Octo/app:pull_request', aud: AUD }
    const ok = { ...claims, job_workflow_ref: 'Octo/shared/.github/workflows/d.yml@refs/tags/v3' }
    assert.equal(matchFederatedCredential(ok, [gated]).ok, true)
    const branch = {
      ...claims,
      job_workflow_ref: 'Octo/shared/.github/workflows/d.yml@refs/heads/x',
    }
    assert.equal(matchFederatedCredential(branch, [gated]).ok, false)
  })
})
