// An agent given several servers: the first one is down, so it enrolls and gets tokens through
// the next; then every server goes away (a full outage): the agent keeps serving the tokens it
// cached; when the server returns, the agent's keys refresh on their own, spread out by the
// jittered backoff rather than all at once. The request rate towards the servers is reported.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startAgent, type RunningAgent } from '../../../src/agent/index.js'
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
} from './agent.config.js'
import { freePort } from '../../helpers/free-port.js'

const VMS = 12

describe('agent failover across servers and through a full outage', () => {
  let port: number
  let k: KeylessProcess
  let agent: RunningAgent
  let stateDir: string
  let dead: string
  const bases: string[] = []
  const tokens: string[] = []

  const get = (i: number) =>
    call(`${bases[i]}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`, {
      headers: { Metadata: 'true' },
    })
  /** Every VM asks once; returns the tokens, failing on any answer but 200. */
  const askAll = async () =>
    Promise.all(
      bases.map(async (_, i) => {
        const res = await get(i)
        assert.equal(res.status, 200, res.text)
        return res.json().access_token as string
      }),
    )

  before(async () => {
    port = await freePort()
    dead = `https://127.0.0.1:${await freePort()}`
    k = await startKeyless({ args: ['--port', String(port)] })
    const api = management(k, await operatorToken(k))
    stateDir = mkdtempSync(join(tmpdir(), 'keyless-failover-'))
    agent = await startAgent({
      serverUrl: dead,
      serverUrls: [k.endpoints.authorityHost],
      caCertPem: readFileSync(k.endpoints.caCertFile, 'utf8'),
      stateDir,
      joinToken: await api.joinToken(),
      // Every cached token is due for refresh at once, retried from 200 ms up to 2 s: the
      // refresh traffic of hours, in seconds.
      cache: { refreshMarginMs: 24 * 3600_000, refreshRetryMs: 200, refreshRetryMaxMs: 2000 },
    })
    const rg = await api.createGroup('failover-rg')
    for (let i = 0; i < VMS; i++) {
      const vm = await api.putVm(rg, `vm${i}`, { hostId: agent.hostId, system: true })
      const run = await agent.createRun(vm.id, 'imds')
      bases.push(run.env!.AZURE_POD_IDENTITY_AUTHORITY_HOST!)
    }
  })
  after(async () => {
    await agent?.close()
    if (stateDir) removeDir(stateDir)
    await k?.dispose()
  })

  it('enrolls and gets tokens through the next server when the first does not answer', async () => {
    assert.equal(agent.servers.preferred, new URL(k.endpoints.authorityHost).origin)
    assert.ok(agent.servers.stats.failovers >= 1)
    tokens.push(...(await askAll()))
  })

  it('takes several --server flags (or commas) on the command line and fails over among them', async () => {
    const api = management(k, await operatorToken(k))
    const other = `https://127.0.0.1:${await freePort()}`
    const cli = await startAgentProcess(k, {
      server: `${dead},${other}`,
      joinToken: await api.joinToken(),
      args: ['--server', k.endpoints.authorityHost],
    })
    try {
      const status = (await call('http://agent/status', { socketPath: cli.controlSocket })).json()
      assert.equal(status.servers.preferred, new URL(k.endpoints.authorityHost).origin)
      assert.equal(status.servers.failovers, 2)
    } finally {
      await cli.stop()
      removeDir(cli.stateDir)
    }
  })

  it('serves the cached tokens through a full outage, with backed-off refresh attempts', async (t) => {
    const stopped = await Promise.race([k.stop('SIGTERM'), sleep(10_000).then(() => 'hung')])
    if (stopped === 'hung') await k.stop('SIGKILL')
    const before = agent.servers.stats.attempts
    const refreshesBefore = agent.cache.stats.refreshes
    const started = Date.now()
    let answered = 0
    while (Date.now() - started < 4000) {
      const now = await askAll()
      // A refresh that succeeded just before the stop may have replaced a token: any cached
      // token of the VM is fine, as long as it is served.
      answered += now.length
      await sleep(50)
    }
    const seconds = (Date.now() - started) / 1000
    const attempts = agent.servers.stats.attempts - before
    const refreshes = agent.cache.stats.refreshes - refreshesBefore
    t.diagnostic(
      `outage: ${answered} requests answered from the cache in ${seconds.toFixed(1)} s; ` +
        `${refreshes} refresh attempts (${(refreshes / seconds / VMS).toFixed(2)}/s per key), ` +
        `${attempts} connection attempts towards the servers (${(attempts / seconds).toFixed(1)}/s)`,
    )
    // Without backoff each key would try every 200 ms (5/s); with it, well under that.
    assert.ok(
      refreshes / seconds / VMS < 2.5,
      `refreshes per key per second: ${refreshes / seconds / VMS}`,
    )
  })

  it('recovers when the server returns, its keys spread out in time', async (t) => {
    tokens.splice(0, tokens.length, ...(await askAll()))
    // The workloads keep asking, as they would, while the server restarts.
    const refreshedAt = new Map<number, number>()
    const samples: { at: number; attempts: number }[] = []
    let load = true
    const loop = (async () => {
      while (load) {
        const now = await askAll()
        now.forEach((tok, i) => {
          if (tok !== tokens[i] && !refreshedAt.has(i)) refreshedAt.set(i, Date.now())
        })
        samples.push({ at: Date.now(), attempts: agent.servers.stats.attempts })
        await sleep(50)
      }
    })()
    const restartedAt = Date.now()
    try {
      k = await startKeyless({ dataDir: k.dataDir, args: ['--port', String(port)] })
      await eventually(20_000, () => refreshedAt.size === VMS, 50)
    } finally {
      load = false
      await loop
    }
    const times = [...refreshedAt.values()].sort((a, b) => a - b)
    const first = times[0]!
    const spreadMs = times[times.length - 1]! - first
    // Requests towards the servers per 500 ms window from the first refresh on.
    const windows: number[] = []
    for (let from = first - 500; from < times[times.length - 1]! + 500; from += 500) {
      const inside = samples.filter((x) => x.at >= from && x.at < from + 500)
      windows.push(inside.length ? inside[inside.length - 1]!.attempts - inside[0]!.attempts : 0)
    }
    t.diagnostic(
      `recovery: first refresh ${first - restartedAt} ms after the restart began, all ${VMS} keys ` +
        `within ${spreadMs} ms; requests towards the servers per 500 ms: ${windows.join(' ')}`,
    )
    assert.ok(
      spreadMs >= 100,
      `the keys refreshed spread out, not at once (${times.map((x) => x - first).join(' ')})`,
    )
  })
})
