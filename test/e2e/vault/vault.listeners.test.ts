// Where vaults are served: one HTTPS listener per vault by default (each at a host root, as the
// SDK needs), following creation and deletion, with a URL that survives a restart; or, with
// `hostSuffix`, one listener for all vaults by host name, which unmodified clients accept
// because the vault host is then a subdomain of the challenge resource.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SecretClient } from '@azure/keyvault-secrets'
import { issueCertificate } from '../../../src/common/pki.js'
import {
  ROLES,
  startVaultEnv,
  vaultRequest,
  withApi,
  type VaultEnv,
  type Workload,
} from './vault.config.js'

async function refused(url: string, ca: string): Promise<boolean> {
  try {
    await vaultRequest(url, { ca })
    return false
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ECONNREFUSED'
  }
}

describe('vault listeners', () => {
  let env: VaultEnv
  let app: Workload

  before(async () => {
    env = await startVaultEnv()
    app = await env.createWorkload('listener-app')
    await env.assign(env.rg, ROLES.officer, app.principalId)
  })
  after(async () => env?.dispose())

  it('serves each vault at the root of its own https://127.0.0.1:<port>/', async () => {
    const a = await env.createVault('kv-one')
    const b = await env.createVault('kv-two')
    assert.match(a.url, /^https:\/\/127\.0\.0\.1:\d+\/$/)
    assert.notEqual(a.url, b.url)
    await env.client(a.url, app).setSecret('where', 'a')
    await env.client(b.url, app).setSecret('where', 'b')
    assert.equal((await env.client(a.url, app).getSecret('where')).value, 'a')
    assert.equal((await env.client(b.url, app).getSecret('where')).value, 'b')
  })

  it('stops serving a deleted vault and deletes its secrets with it', async () => {
    const v = await env.createVault('kv-doomed')
    await env.client(v.url, app).setSecret('doomed', 'x')
    await env.deleteVault(v.id)
    const deadline = Date.now() + 3000
    while (!(await refused(withApi(`${v.url}secrets/doomed`), env.k.ca))) {
      assert.ok(Date.now() < deadline, 'the deleted vault still answers')
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(await env.store.vaultSecrets.fetchLatest(v.id, 'doomed'), undefined)
  })

  it('refuses requests for a vault deleted a moment ago, before its listener closes', async () => {
    const v = await env.createVault('kv-fast')
    const token = await env.token(app)
    await env.deleteVault(v.id)
    const res = await vaultRequest(withApi(`${v.url}secrets/x`), { token, ca: env.k.ca }).catch(
      (e: NodeJS.ErrnoException) => ({ status: e.code }),
    )
    assert.ok(res.status === 404 || res.status === 'ECONNREFUSED', String(res.status))
  })

  it('keeps a vault’s URL across a restart of the service', async (t) => {
    if (env.mode !== 'harness') return t.skip('the served vault restarts with keyless up')
    const v = await env.createVault('kv-stable')
    await env.client(v.url, app).setSecret('kept', 'over restarts')
    const restarted = await env.restartHarness()
    assert.equal(await restarted.resolveVaultUri(v.id), v.url)
    // A client that kept a connection to the old listener sees it closed and retries.
    const client = env.client(v.url, app, { retryOptions: { maxRetries: 2, retryDelayInMs: 10 } })
    assert.equal((await client.getSecret('kept')).value, 'over restarts')
  })

  describe('with hostSuffix', () => {
    const suffix = 'vault.keyless.test'
    let agent: Agent
    let port: number

    before(async () => {
      if (env.mode !== 'harness') return
      // The data directory's own CA, which the server's certificate chains to.
      const ca = {
        certPem: readFileSync(join(env.k.dataDir, 'ca.crt'), 'utf8'),
        keyPem: readFileSync(join(env.k.dataDir, 'ca.key'), 'utf8'),
      }
      const leaf = await issueCertificate(ca, {
        commonName: `*.${suffix}`,
        dnsNames: [`*.${suffix}`],
        ipAddresses: ['127.0.0.1'],
        usage: 'server',
        now: Date.now(),
        validityDays: 1,
      })
      const service = await env.startHarness({
        hostSuffix: suffix,
        tls: { certPem: leaf.certPem, keyPem: leaf.keyPem! },
      })
      port = Number(/:(\d+)\/$/.exec(service.baseEndpoint)![1])
      assert.equal(service.baseEndpoint, `https://{vault}.${suffix}:${port}/`)
      assert.equal(service.resource, `https://${suffix}`)
      // Names under the suffix do not resolve here: the client's agent resolves them to loopback.
      agent = new Agent({
        ca: env.k.ca,
        lookup: (_host, options, cb) =>
          (options as { all?: boolean }).all
            ? (cb as any)(null, [{ address: '127.0.0.1', family: 4 }])
            : (cb as any)(null, '127.0.0.1', 4),
      })
      await env.createVault('kv-named')
      assert.equal(
        await service.resolveVaultUri(`${env.rg}/providers/Microsoft.KeyVault/vaults/kv-named`),
        `https://kv-named.${suffix}:${port}/`,
      )
    })

    it('lets an unmodified SecretClient pass the challenge check and use the vault', async (t) => {
      if (env.mode !== 'harness') return t.skip('configured by the composition root')
      const client = new SecretClient(`https://kv-named.${suffix}:${port}/`, env.credential(app), {
        agent,
        retryOptions: { maxRetries: 0 },
      })
      const set = await client.setSecret('by-name', 'hello')
      assert.equal(set.properties.vaultUrl, `https://kv-named.${suffix}:${port}`)
      assert.equal((await client.getSecret('by-name')).value, 'hello')
    })

    it('challenges with https://<hostSuffix> and answers an unknown vault with 404', async (t) => {
      if (env.mode !== 'harness') return t.skip('configured by the composition root')
      const challenge = await vaultRequest(`https://kv-named.${suffix}:${port}/secrets/x`, {
        ca: env.k.ca,
        agent,
      })
      assert.equal(challenge.status, 401)
      assert.match(
        String(challenge.headers['www-authenticate']),
        new RegExp(`resource="https://${suffix}"$`),
      )
      const token = await env.token(app, `https://${suffix}`)
      const unknown = await vaultRequest(withApi(`https://nope.${suffix}:${port}/secrets/x`), {
        token,
        ca: env.k.ca,
        agent,
      })
      assert.equal(unknown.status, 404)
      assert.equal(unknown.json().error.code, 'VaultNotFound')
    })
  })
})
