// Deleting an identity reaches every verifier (issue 11.4): ARM and the hosts API answer 401
// for its tokens at once (an invalid token, not a 403), the vault too, and keyless/verify, which
// follows the public signed revocation feed, refuses them within a second. The delay is
// measured from the DELETE's answer to the library's first refusal.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createVerifier, KeylessVerifyError } from '../../../src/verify/index.js'
import { https } from '../../helpers/https.js'
import { startVaultEnv, type VaultEnv } from '../vault/vault.config.js'
import { SERVICE_AUDIENCE } from './hardening.config.js'

describe('revocation reaches every verifier', () => {
  let env: VaultEnv
  before(async () => {
    env = await startVaultEnv()
  })
  after(async () => env?.dispose())

  it('refuses a deleted identity everywhere, keyless/verify within a second', async () => {
    const { k } = env
    const w = await env.createWorkload(`revoked-${Date.now()}`)
    const armToken = await env.token(w, k.endpoints.managementEndpoint)
    const serviceToken = await env.token(w, SERVICE_AUDIENCE)
    const verifier = createVerifier({
      authority: k.endpoints.authorityHost,
      tenantId: k.endpoints.tenantId,
      audience: SERVICE_AUDIENCE,
      ca: k.ca,
    })
    try {
      assert.equal((await verifier.verify(serviceToken)).objectId, w.principalId)
      const armCall = () =>
        https(`${k.endpoints.managementEndpoint}${w.id}?api-version=2024-04-01`, {
          headers: { authorization: `Bearer ${armToken}` },
          ca: k.ca,
        })
      const hostsCall = () =>
        https(`${k.endpoints.authorityHost}/keyless/v1/hosts`, {
          headers: { authorization: `Bearer ${armToken}` },
          ca: k.ca,
        })
      assert.equal((await armCall()).status, 403, 'no role yet: forbidden, not unauthenticated')
      assert.equal((await hostsCall()).status, 403)

      await env.deleteWorkload(w.id)
      const deletedAt = performance.now()
      let delayMs: number | undefined
      while (performance.now() - deletedAt < 5_000) {
        try {
          await verifier.verify(serviceToken)
        } catch (e) {
          assert.ok(e instanceof KeylessVerifyError)
          assert.equal(e.code, 'ERR_KEYLESS_TOKEN_REVOKED')
          assert.equal(e.status, 401)
          delayMs = performance.now() - deletedAt
          break
        }
        await sleep(10)
      }
      console.log(`keyless/verify refused the deleted identity after ${delayMs?.toFixed(0)} ms`)
      assert.ok(delayMs !== undefined && delayMs < 1_000, `refused after ${delayMs} ms`)

      const arm = await armCall()
      assert.equal(arm.status, 401, arm.text)
      assert.equal(arm.json().error.code, 'InvalidAuthenticationToken')
      assert.match(String(arm.headers['www-authenticate']), /error="invalid_token"/)
      const hosts = await hostsCall()
      assert.equal(hosts.status, 401, hosts.text)
      assert.equal(hosts.json().error.code, 'InvalidAuthenticationToken')
    } finally {
      verifier.close()
    }
  })

  it('serves the feed publicly, signed, and refuses bad positions in OAuth format', async () => {
    const { k } = env
    const url = `${k.endpoints.authorityHost}/${k.endpoints.tenantId}/discovery/keyless/revocations`
    const page = await https(url, { ca: k.ca })
    assert.equal(page.status, 200)
    assert.match(page.text, /^[\w-]+\.[\w-]+\.[\w-]+$/)
    const bad = await https(`${url}?after=-1`, { ca: k.ca })
    assert.equal(bad.status, 400)
    assert.equal(bad.json().error, 'invalid_request')
  })
})
