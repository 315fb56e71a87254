// Revocation reaches every verifier (issue 11.4): when an identity is deleted, detached from its
// resource, or its host revoked, ARM and the hosts API answer 401 for its tokens (an invalid
// token, not a 403), the vault too, and keyless/verify, which follows the public signed
// revocation feed, refuses them within a second. The delay is measured from the change's
// answer to the library's first refusal.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createVerifier, KeylessVerifyError } from '../../../src/verify/index.js'
import { https } from '../../helpers/https.js'
import { identityToken } from '../hosts/hosts.config.js'
import {
  startVaultEnv,
  vaultRequest,
  withApi,
  type Vault,
  type VaultEnv,
} from '../vault/vault.config.js'
import { SERVICE_AUDIENCE } from './hardening.config.js'

const MI_API = 'api-version=2023-01-31'
const SITE_API = 'api-version=2024-04-01'

describe('revocation reaches every verifier', () => {
  let env: VaultEnv
  let vault: Vault
  let accountUrl: string
  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault(`revoked-${Date.now()}`)
    const account = `revoked${Date.now().toString(36)}`
    const created = await env.call(
      'PUT',
      `${env.rg}/providers/Microsoft.Storage/storageAccounts/${account}?api-version=2023-05-01`,
      { location: 'eastus', kind: 'StorageV2', sku: { name: 'Standard_LRS' } },
    )
    assert.equal(created.status < 300, true, created.text)
    accountUrl = String(created.json().properties.primaryEndpoints.blob)
  })
  after(async () => env?.dispose())

  /** A token of the site's identity (its user-assigned one with `msiResId`), for `resource`. */
  async function tokenOf(site: string, resource: string, msiResId?: string) {
    const res = await identityToken(env.k, env.host, site, {
      scope: `${resource}/.default`,
      ...(msiResId ? { mi_res_id: msiResId } : {}),
    })
    assert.equal(res.status, 200, res.text)
    return res.json().access_token as string
  }

  /** The identity's tokens for ARM, the vault and a service, and how each verifier answers. */
  async function holdTokens(site: string, msiResId?: string) {
    const { k } = env
    const arm = await tokenOf(site, k.endpoints.managementEndpoint, msiResId)
    const vaultToken = await tokenOf(site, 'https://vault.azure.net', msiResId)
    const storageToken = await tokenOf(site, 'https://storage.azure.com', msiResId)
    const service = await tokenOf(site, SERVICE_AUDIENCE, msiResId)
    const verifier = createVerifier({
      authority: k.endpoints.authorityHost,
      tenantId: k.endpoints.tenantId,
      audience: SERVICE_AUDIENCE,
      ca: k.ca,
    })
    const statuses = async () => ({
      arm: (
        await https(`${k.endpoints.managementEndpoint}${site}?${SITE_API}`, {
          headers: { authorization: `Bearer ${arm}` },
          ca: k.ca,
        })
      ).status,
      hosts: (
        await https(`${k.endpoints.authorityHost}/keyless/v1/hosts`, {
          headers: { authorization: `Bearer ${arm}` },
          ca: k.ca,
        })
      ).status,
      vault: (await vaultRequest(withApi(`${vault.url}secrets/s`), { token: vaultToken, ca: k.ca }))
        .status,
      blob: (
        await https(`${accountUrl}?comp=list`, {
          headers: { authorization: `Bearer ${storageToken}`, 'x-ms-version': '2025-01-05' },
          ca: k.ca,
        })
      ).status,
    })
    return { verifier, service, statuses }
  }

  /** How long after now keyless/verify first refuses `token` as revoked (fails past 5 s). */
  async function refusalDelay(verifier: ReturnType<typeof createVerifier>, token: string) {
    const from = performance.now()
    while (performance.now() - from < 5_000) {
      try {
        await verifier.verify(token)
      } catch (e) {
        assert.ok(e instanceof KeylessVerifyError)
        assert.equal(e.code, 'ERR_KEYLESS_TOKEN_REVOKED')
        assert.equal(e.status, 401)
        return performance.now() - from
      }
      await sleep(10)
    }
    assert.fail('keyless/verify still accepts the token after 5 s')
  }

  async function userAssignedSite(name: string) {
    const { call, rg, host } = env
    const uami = await call(
      'PUT',
      `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}-id?${MI_API}`,
      { location: 'eastus' },
    )
    assert.equal(uami.status, 201, uami.text)
    const site = `${rg}/providers/Microsoft.Web/sites/${name}`
    const put = (identity: Record<string, unknown>) =>
      call('PUT', `${site}?${SITE_API}`, {
        location: 'eastus',
        kind: 'app,linux',
        identity,
        properties: { hostId: host.hostId },
      })
    const attached = {
      type: 'SystemAssigned, UserAssigned',
      userAssignedIdentities: { [uami.json().id]: {} },
    }
    const created = await put(attached)
    assert.equal(created.status, 201, created.text)
    return {
      site: created.json().id as string,
      identity: uami.json().id as string,
      detach: () => put({ type: 'SystemAssigned' }),
      attach: () => put(attached),
    }
  }

  it('refuses a detached identity everywhere, and a re-attached one gets working tokens', async () => {
    const w = await userAssignedSite(`detach-${Date.now()}`)
    const held = await holdTokens(w.site, w.identity)
    try {
      const principal = await held.verifier.verify(held.service)
      assert.equal(principal.claims.xms_az_rid, w.site, 'a user-assigned token')
      assert.deepEqual(await held.statuses(), { arm: 403, hosts: 403, vault: 403, blob: 403 })

      const detached = await w.detach()
      assert.equal(detached.status, 200, detached.text)
      const delayMs = await refusalDelay(held.verifier, held.service)
      console.log(`keyless/verify refused the detached identity after ${delayMs.toFixed(0)} ms`)
      assert.ok(delayMs < 1_000, `refused after ${delayMs} ms`)
      assert.deepEqual(await held.statuses(), { arm: 401, hosts: 401, vault: 401, blob: 401 })

      // Attached again at once: new tokens (issued after the detachment) are accepted.
      assert.equal((await w.attach()).status, 200)
      const fresh = await holdTokens(w.site, w.identity)
      try {
        assert.deepEqual(await fresh.statuses(), { arm: 403, hosts: 403, vault: 403, blob: 403 })
        await fresh.verifier.verify(fresh.service)
        await assert.rejects(fresh.verifier.verify(held.service), /revoked/)
      } finally {
        fresh.verifier.close()
      }
    } finally {
      held.verifier.close()
    }
  })

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

  // Last: it revokes the environment's host.
  it('refuses the tokens a revoked host obtained, for its system- and user-assigned identities', async () => {
    const w = await userAssignedSite(`host-${Date.now()}`)
    const system = await holdTokens(w.site)
    const user = await holdTokens(w.site, w.identity)
    try {
      assert.deepEqual(await system.statuses(), { arm: 403, hosts: 403, vault: 403, blob: 403 })
      const revoked = await env.call('POST', `/keyless/v1/hosts/${env.host.hostId}/revoke`)
      assert.equal(revoked.status, 200, revoked.text)
      const delays = [
        await refusalDelay(system.verifier, system.service),
        await refusalDelay(user.verifier, user.service),
      ]
      console.log(
        `keyless/verify refused the revoked host's tokens after ${delays.map((d) => d.toFixed(0)).join(' / ')} ms`,
      )
      assert.ok(delays[0]! < 1_000, `refused after ${delays[0]} ms`)
      assert.deepEqual(await system.statuses(), { arm: 401, hosts: 401, vault: 401, blob: 401 })
      assert.deepEqual(await user.statuses(), { arm: 401, hosts: 401, vault: 401, blob: 401 })
    } finally {
      system.verifier.close()
      user.verifier.close()
    }
  })
})
