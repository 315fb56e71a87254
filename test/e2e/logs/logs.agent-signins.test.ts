// The agents' sign-in records with a real `keyless up`: its built-in agent records every token
// request it answers (IMDS and App Service, a miss then a cache hit, a refusal) with the
// caller's process, batches them to the hosts API, and they appear in `keyless logs signins`
// stamped `source: agent` with the host; a host that reports another host's resource is refused
// (403), a bad report is refused whole (400), and the chain still verifies.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { call } from '../../../src/agent/test-http.js'
import { startAgent, systemClock, type RunningAgent } from '../../../src/agent/index.js'
import { signAssertion } from '../../../src/agent/assertion.js'
import { AGENT_SIGNINS_PATH, type AgentSignIn } from '../../../src/common/agent-protocol.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import {
  eventually,
  management,
  removeDir,
  startAgentProcess,
  TOKEN_PATH,
  VAULT,
} from '../agent/agent.config.js'
import { cliFor, ok } from '../cli/cli.config.js'

describe("agents' sign-in records", () => {
  let k: KeylessProcess
  let cli: ReturnType<typeof cliFor>
  let vm: { id: string; principalId?: string }
  let other: RunningAgent
  let otherDir: string
  // Keep-alive: the connection (and so this process) is known to the agent's peer lookup.
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 })

  const run = async (resourceId: string, protocol: string) => {
    const a = await call('http://agent/runs', {
      method: 'POST',
      socketPath: k.endpoints.agentSocket as string,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceId, protocol }),
    })
    assert.equal(a.status, 201, a.text)
    return a.json().env as Record<string, string>
  }
  const get = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, { headers, agent: keepAlive }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on('error', reject)
      req.end()
    })
  const agentRecords = async (filter: (r: any) => boolean, n: number) => {
    let found: any[] = []
    let all: any[] = []
    await eventually(
      10_000,
      async () => {
        all = ok(await cli('logs', 'signins', '--since', '10m', '-o', 'json')).json()
        found = all.filter((r: any) => r.source === 'agent' && filter(r))
        return found.length >= n
      },
      200,
    ).catch((err: unknown) => {
      const log = readFileSync(join(k.dataDir, 'keyless.log'), 'utf8')
      const agentOnes = all.filter((r) => r.source === 'agent')
      throw new Error(
        `${(err as Error).message}: ${JSON.stringify(agentOnes)}\n${log
          .split('\n')
          .filter((l) => /sign|warn|error/i.test(l))
          .slice(-20)
          .join('\n')}`,
      )
    })
    return found.sort((a, b) => a.createdDateTime.localeCompare(b.createdDateTime))
  }

  before(async () => {
    k = await startKeyless()
    cli = cliFor(k.dataDir)
    const api = management(k, await operatorToken(k))
    const rg = await api.createGroup(`agentlog-${randomUUID().slice(0, 8)}`)
    vm = await api.putVm(rg, 'vm-signins', { system: true })
    otherDir = mkdtempSync(join(tmpdir(), 'keyless-agentlog-'))
    other = await startAgent({
      serverUrl: k.endpoints.authorityHost,
      caCertPem: k.ca,
      stateDir: otherDir,
      joinToken: await api.joinToken(),
      signIns: false,
    })
  })
  after(async () => {
    keepAlive.destroy()
    await other?.close()
    if (otherDir) removeDir(otherDir)
    await k?.dispose()
  })

  const checkPair = (pair: any[], protocol: string, audience: string) => {
    assert.equal(pair.length, 2, JSON.stringify(pair))
    assert.deepEqual(
      pair.map((r) => r.isCacheHit),
      [false, true],
    )
    for (const r of pair) {
      assert.equal(r.protocol, protocol)
      assert.equal(r.callerResourceId, vm.id)
      assert.equal(r.servicePrincipalId, vm.principalId)
      assert.deepEqual(r.managedServiceIdentity, {
        msiType: 'systemAssigned',
        associatedResourceId: vm.id,
      })
      assert.equal(r.resourceId, audience)
      assert.deepEqual(r.status, { errorCode: 0 })
      assert.equal(typeof r.hostId, 'string')
      assert.equal(typeof r.latencyMs, 'number')
      assert.equal(r.process.pid, process.pid)
      assert.equal(r.process.uid, process.getuid!())
      assert.equal(r.process.exe, process.execPath)
    }
  }

  it('records an IMDS miss then hit with the caller process, as the host, source agent', async () => {
    const imds = (await run(vm.id, 'imds')).AZURE_POD_IDENTITY_AUTHORITY_HOST!
    const url = `${imds}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`
    for (let i = 0; i < 2; i++) {
      const r = await get(url, { Metadata: 'true' })
      assert.equal(r.status, 200, r.text)
    }
    checkPair(await agentRecords((r) => r.protocol === 'imds', 2), 'imds', VAULT)
  })

  it('records an App Service miss then hit the same way', async () => {
    const env = await run(vm.id, 'appservice')
    // The cache is per caller and audience: a new audience makes the first request a miss.
    const aud = 'https://storage.azure.com'
    const miss = `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(aud)}`
    for (let i = 0; i < 2; i++) {
      const r = await get(miss, { 'X-IDENTITY-HEADER': env.IDENTITY_HEADER! })
      assert.equal(r.status, 200, r.text)
    }
    checkPair(await agentRecords((r) => r.protocol === 'appservice', 2), 'appservice', aud)
  })

  it('records a refused request with its code and reason', async () => {
    const imds = (await run(vm.id, 'imds')).AZURE_POD_IDENTITY_AUTHORITY_HOST!
    const wrong = randomUUID()
    const r = await get(
      `${imds}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}&client_id=${wrong}`,
      { Metadata: 'true' },
    )
    assert.equal(r.status, 400, r.text)
    const [refused] = await agentRecords((x) => x.status.errorCode !== 0, 1)
    assert.equal(refused.protocol, 'imds')
    assert.equal(refused.callerResourceId, vm.id)
    assert.equal(refused.status.errorCode, 9_800_001)
    assert.equal(typeof refused.status.failureReason, 'string')
    assert.equal(refused.process.pid, process.pid)
    const viaResult = ok(await cli('logs', 'signins', '--result', 'refused', '-o', 'json')).json()
    assert.ok(viaResult.some((x: any) => x.source === 'agent' && x.callerResourceId === vm.id))
  })

  const report = async (value: unknown) => {
    const c = other.credential.current()
    const url = `${k.endpoints.authorityHost}${AGENT_SIGNINS_PATH}`
    return https(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await signAssertion(c, url, systemClock)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(value),
      ca: k.ca,
    })
  }
  const record = (callerResourceId?: string): AgentSignIn => ({
    createdDateTime: new Date().toISOString(),
    correlationId: randomUUID(),
    protocol: 'imds',
    ...(callerResourceId && { callerResourceId }),
    resourceId: VAULT,
    latencyMs: 1,
    status: { errorCode: 0 },
    isCacheHit: true,
  })

  it("refuses a host that reports another host's resource (403), and bad bodies whole (400)", async () => {
    const count = async () =>
      // The CLI's own token requests are records too: count the agents' only.
      ok(await cli('logs', 'signins', '--since', '10m', '-o', 'json'))
        .json()
        .filter((r: any) => r.source === 'agent').length as number
    const before = await count()
    const forbidden = await report({ value: [record(), record(vm.id)] })
    assert.equal(forbidden.status, 403, forbidden.text)
    assert.equal(forbidden.json().error.code, 'AuthorizationFailed')
    const bad = await report({ value: [record(), { ...record(), source: 'server' }] })
    assert.equal(bad.status, 400, bad.text)
    assert.equal(bad.json().error.code, 'InvalidRequestContent')
    const badPid = await report({ value: [{ ...record(), process: { pid: -1 } }] })
    assert.equal(badPid.status, 400, badPid.text)
    assert.equal((await report({ value: [] })).status, 400)
    assert.equal(await count(), before)
    // Its own records (naming no resource of another host) are taken and stamped.
    const mine = await report({ value: [record()] })
    assert.equal(mine.status, 204, mine.text)
    const stamped = ok(await cli('logs', 'signins', '--since', '10m', '-o', 'json'))
      .json()
      .filter((r: any) => r.hostId === other.hostId)
    assert.equal(stamped.length, 1)
    assert.equal(stamped[0].source, 'agent')
  })

  it('keeps serving cached tokens while the server is down, and delivers the records after', async () => {
    const api = management(k, await operatorToken(k))
    const dir = mkdtempSync(join(tmpdir(), 'keyless-agentlog-'))
    const recording = await startAgent({
      serverUrl: k.endpoints.authorityHost,
      caCertPem: k.ca,
      stateDir: dir,
      joinToken: await api.joinToken(),
      signIns: { flushMs: 100 },
    })
    try {
      const rg = api.group(vm.id.split('/')[4]!)
      const placed = await api.putVm(rg, 'vm-outage', { hostId: recording.hostId, system: true })
      const run = await recording.createRun(placed.id, 'imds')
      const url = `${run.env!.AZURE_POD_IDENTITY_AUTHORITY_HOST}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`
      assert.equal((await get(url, { Metadata: 'true' })).status, 200)
      await eventually(5000, () => recording.signIns!.stats.sent === 1, 50)
      const port = new URL(k.endpoints.authorityHost).port
      await k.stop()
      // Not fail closed: the cached token is served; its record waits.
      const hit = await get(url, { Metadata: 'true' })
      assert.equal(hit.status, 200, hit.text)
      await eventually(5000, () => recording.signIns!.stats.sendFailures > 0, 50)
      assert.equal(recording.signIns!.queued, 1)
      k = await startKeyless({ dataDir: k.dataDir, args: ['--port', port] })
      cli = cliFor(k.dataDir)
      const [delivered] = await agentRecords(
        (r) => r.hostId === recording.hostId && r.isCacheHit === true,
        1,
      )
      assert.equal(delivered.callerResourceId, placed.id)
      assert.equal(recording.signIns!.stats.dropped, 0)
    } finally {
      await recording.close()
      removeDir(dir)
    }
  })

  it('records the same way from a standalone `keyless agent` process', async () => {
    const api = management(k, await operatorToken(k))
    const agent = await startAgentProcess(k, { joinToken: await api.joinToken() })
    try {
      const rg = api.group(vm.id.split('/')[4]!)
      const placed = await api.putVm(rg, 'vm-standalone', { hostId: agent.hostId, system: true })
      const created = await call('http://agent/runs', {
        method: 'POST',
        socketPath: agent.controlSocket,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resourceId: placed.id, protocol: 'imds' }),
      })
      assert.equal(created.status, 201, created.text)
      const base = created.json().env.AZURE_POD_IDENTITY_AUTHORITY_HOST as string
      const url = `${base}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`
      assert.equal((await get(url, { Metadata: 'true' })).status, 200)
      const [r] = await agentRecords((x) => x.hostId === agent.hostId, 1)
      assert.equal(r.callerResourceId, placed.id)
      assert.equal(r.isCacheHit, false)
      assert.equal(r.process.pid, process.pid)
    } finally {
      await agent.stop()
      removeDir(agent.stateDir)
    }
  })

  it('keeps the chain verifiable', async () => {
    const v = ok(await cli('logs', 'verify')).json()
    assert.equal(v.signIns.ok, true)
  })
})
