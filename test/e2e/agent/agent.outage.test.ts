// The server goes away: a `keyless agent` on another host keeps serving the tokens it has
// cached (until they expire) and says "temporarily unavailable" for the others; when the server
// comes back on the same address, the agent recovers on its own, change stream included.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { call } from '../../../src/agent/test-http.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { operatorToken } from '../../helpers/tokens.js'
import {
  eventually,
  management,
  removeDir,
  startAgentProcess,
  TOKEN_PATH,
  VAULT,
  type AgentProcess,
  type Identity,
} from './agent.config.js'
import { freePort } from '../../helpers/free-port.js'

describe('agent during a server outage', () => {
  let port: number
  let k: KeylessProcess
  let agent: AgentProcess
  let base: string
  let uami: Identity
  let vm: string
  let rg: string

  const get = (resource = VAULT, extra = '') =>
    call(
      `${base}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(resource)}${extra}`,
      {
        headers: { Metadata: 'true' },
      },
    )
  const status = async () =>
    (await call('http://agent/status', { socketPath: agent.controlSocket })).json()

  before(async () => {
    port = await freePort()
    k = await startKeyless({ args: ['--port', String(port)] })
    const api = management(k, await operatorToken(k))
    agent = await startAgentProcess(k, { joinToken: await api.joinToken() })
    rg = await api.createGroup('outage-rg')
    uami = await api.createIdentity(rg, 'outage-identity')
    vm = (await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: true, user: [uami.id] })).id
    const created = await call('http://agent/runs', {
      method: 'POST',
      socketPath: agent.controlSocket,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceId: vm, protocol: 'imds' }),
    })
    base = created.json().env.AZURE_POD_IDENTITY_AUTHORITY_HOST
  })
  after(async () => {
    await agent?.stop()
    if (agent) removeDir(agent.stateDir)
    await k?.dispose()
  })

  it('serves cached tokens while the server is stopped, and 503 for the rest', async (t) => {
    const cached = await get()
    assert.equal(cached.status, 200, cached.text)
    const cachedUser = await get(VAULT, `&client_id=${uami.clientId}`)
    assert.equal(cachedUser.status, 200)
    assert.equal((await status()).eventsConnected, true)

    // A graceful stop must not wait for the agents' change streams to end by themselves.
    const stopped = await Promise.race([k.stop('SIGTERM'), sleep(10_000).then(() => 'hung')])
    if (stopped === 'hung') await k.stop('SIGKILL')
    const again = await get()
    assert.equal(again.status, 200)
    assert.equal(again.json().access_token, cached.json().access_token)
    assert.equal(again.json().expires_on, cached.json().expires_on)
    assert.equal(
      (await get(VAULT, `&client_id=${uami.clientId}`)).json().access_token,
      cachedUser.json().access_token,
    )

    const started = Date.now()
    const uncached = await get('https://storage.azure.com/')
    t.diagnostic(`uncached request during the outage answered in ${Date.now() - started} ms`)
    assert.equal(uncached.status, 503)
    assert.deepEqual(uncached.json(), {
      error: 'temporarily_unavailable',
      error_description: 'The token service cannot be reached',
    })
    assert.equal((await status()).eventsConnected, false)
    assert.equal(stopped, 0, 'keyless up exits on SIGTERM while an agent follows its change stream')
  })

  it('recovers without intervention once the server is back on the same address', async (t) => {
    k = await startKeyless({ dataDir: k.dataDir, args: ['--port', String(port)] })
    const took = await eventually(
      15_000,
      async () => (await get('https://storage.azure.com/')).status === 200,
      25,
    )
    t.diagnostic(`first new token ${took} ms after the restart`)
    await eventually(15_000, async () => (await status()).eventsConnected === true, 25)

    // The change stream is followed again: a detach takes effect within a second.
    const api = management(k, await operatorToken(k))
    assert.equal((await get(VAULT, `&client_id=${uami.clientId}`)).status, 200)
    await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: true })
    const detach = await eventually(
      1000,
      async () => (await get(VAULT, `&client_id=${uami.clientId}`)).status === 400,
      25,
    )
    t.diagnostic(`detach effective after ${detach} ms`)
  })
})
