// The agent's metrics after real workloads: `keyless agent --metrics-listen 127.0.0.1:0` as on
// another host, a VM placed on it, and two programs started by `keyless run` asking the real
// @azure/identity ManagedIdentityCredential for a token: the first is a cache miss (asked of the
// server), the second a hit. The same counters are on the control socket's /metrics.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { parsePrometheus, type Scrape } from '../../helpers/prometheus.js'
import { operatorToken } from '../../helpers/tokens.js'
import { call } from '../../../src/agent/test-http.js'
import {
  keyless,
  management,
  removeDir,
  sdkTokens,
  startAgentProcess,
  type AgentProcess,
} from '../agent/agent.config.js'

describe('the agent /metrics', () => {
  let k: KeylessProcess
  let agent: AgentProcess
  let metricsUrl: string
  let vmId: string

  async function scrape(o: { socketPath?: string } = {}): Promise<Scrape> {
    const res = await call(o.socketPath ? 'http://agent/metrics' : metricsUrl, o)
    assert.equal(res.status, 200, res.text)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    return parsePrometheus(res.text)
  }

  before(async () => {
    k = await startKeyless()
    const api = management(k, await operatorToken(k))
    agent = await startAgentProcess(k, {
      joinToken: await api.joinToken(),
      args: ['--metrics-listen', '127.0.0.1:0'],
    })
    metricsUrl = /metrics\s+(http:\S+)/.exec(agent.output())![1]!
    const rg = await api.createGroup('metrics-agent-rg')
    vmId = (await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: true })).id
  })
  after(async () => {
    await agent?.stop()
    if (agent) removeDir(agent.stateDir)
    await k?.dispose()
  })

  it('counts a miss for the first token and a hit for the same token asked again', async () => {
    const before = await scrape()
    const run = ['--as', vmId, '--state-dir', agent.stateDir]
    for (let i = 0; i < 2; i++) {
      const [r] = await sdkTokens(run, [{ sdk: 'mic' }])
      assert.ok(r!.token, r!.error)
    }
    const now = await scrape()
    const delta = (name: string) => now.value(name) - before.value(name)
    assert.equal(delta('keyless_agent_token_cache_misses_total'), 1)
    assert.equal(delta('keyless_agent_token_cache_hits_total'), 1)
    assert.equal(delta('keyless_agent_token_cache_refreshes_total'), 0)
    assert.equal(now.value('keyless_agent_token_cache_entries'), 1)
    assert.equal(now.value('keyless_agent_events_connected'), 1)
    assert.equal(now.types.keyless_agent_token_cache_hits_total, 'counter')
  })

  it('shows the same counters on the control socket', async () => {
    const tcp = await scrape()
    const socket = await scrape({ socketPath: agent.controlSocket })
    for (const name of [
      'keyless_agent_token_cache_hits_total',
      'keyless_agent_token_cache_misses_total',
    ]) {
      assert.equal(socket.value(name), tcp.value(name), name)
    }
  })

  it('answers nothing but GET /metrics on its TCP address', async () => {
    assert.equal((await call(metricsUrl.replace('/metrics', '/status'))).status, 404)
    assert.equal((await call(metricsUrl, { method: 'POST' })).status, 405)
  })

  it('refuses to start on an address that is not host:port, saying so', async () => {
    const r = await keyless([
      'agent',
      '--server',
      'https://127.0.0.1:1',
      '--metrics-listen',
      '9464',
    ])
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /metrics address "9464" must be host:port/)
  })
})
