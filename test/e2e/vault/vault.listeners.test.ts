// Where `keyless up` serves vaults by default: one HTTPS listener per vault, each at a host root
// as the SDK needs, following creation and deletion. (The host-name scheme and URLs that survive
// a restart are in vault.served.test.ts.)
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
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
})
