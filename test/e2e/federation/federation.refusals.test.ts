// The attacker's side of the token exchange: every way a federated assertion can be wrong, each
// refused by the real token endpoint with Entra's status, OAuth error and AADSTS code, and a
// message that says what failed. The issuers are the test issuer's, some made to misbehave.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startFederation, type FederationEnv } from './federation.config.js'
import { ISSUERS, MAIN, prepare, REFUSALS, UNTRUSTED } from './federation.cases.js'

describe('federated token exchange refusals', () => {
  let env: FederationEnv

  before(async () => {
    env = await startFederation(ISSUERS, UNTRUSTED)
    await prepare(env)
  })
  after(async () => env?.dispose())

  it('accepts the good token once, and refuses it replayed for the same resource', async () => {
    const token = await env.issuer.gh!.mint(MAIN)
    const first = await env.exchange(token)
    assert.equal(first.status, 200, first.text)
    const again = await env.exchange(token)
    assert.equal(again.status, 401, again.text)
    assert.equal(again.json().error, 'invalid_client')
    assert.deepEqual(again.json().error_codes, [700021])
    assert.match(again.json().error_description, /already used for this resource/)
    // The same token for another resource is another exchange.
    const vault = await env.exchange(token, { scope: 'https://vault.azure.net/.default' })
    assert.equal(vault.status, 200, vault.text)
  })

  it('refuses a client id that is no user-assigned identity', async () => {
    const res = await env.exchange(await env.issuer.gh!.mint(MAIN), {
      clientId: '00000000-0000-0000-0000-000000000001',
    })
    assert.equal(res.status, 400, res.text)
    assert.deepEqual(res.json().error_codes, [700016])
  })

  for (const r of REFUSALS) {
    it(`refuses ${r.what} with AADSTS${r.code}`, async () => {
      const res = await env.exchange(await r.assertion(env))
      assert.equal(res.status, r.status, res.text)
      const body = res.json()
      assert.equal(body.error, r.error)
      assert.deepEqual(body.error_codes, [r.code])
      assert.match(body.error_description, new RegExp(`^AADSTS${r.code}: `))
      assert.match(body.error_description, r.message)
      assert.equal(body.access_token, undefined)
    })
  }
})
