// Fault injection for users' retry code (issue 15), through a real `keyless up` and its agent: an
// operator sets faults (`keyless agent fault set`, `keyless run --fault`), and the stock
// ManagedIdentityCredential of @azure/identity retries them as its source says
// (identity-protocols.md §2.3): 404 and 410 by imdsRetryPolicy (410 from ≥ 3 s), 500 by the
// exponential strategy (3 retries from 1 s), 429 and 503 after their Retry-After. `first=n` faults
// keep the test short: each case fails the first request(s) only.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { join } from 'node:path'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { operatorToken } from '../../helpers/tokens.js'
import { runCli } from '../cli/cli.config.js'
import { management, readJson, sdkTokens, verifyToken } from './agent.config.js'

let k: KeylessProcess
let vm: string

const cli = (...args: string[]) => runCli([...args, '--data-dir', k.dataDir])

async function faultList(): Promise<
  { target: unknown; faults: { spec: string; injected: number }[] }[]
> {
  const r = await cli('agent', 'fault', 'list', '-o', 'json')
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

/** The stock credential under `keyless run`; its token (verified) and how long the run took. */
async function micToken(protocol: string, extra: string[] = []) {
  const started = Date.now()
  const [r] = await sdkTokens(
    ['--as', vm, '--protocol', protocol, '--data-dir', k.dataDir, ...extra],
    [{ sdk: 'mic' }],
  )
  return { ...r!, ms: Date.now() - started }
}

before(async () => {
  k = await startKeyless()
  const m = management(k, await operatorToken(k))
  const rg = await m.createGroup('faults-rg')
  vm = (await m.putVm(rg, 'vm1', { system: true })).id
})
after(async () => k?.dispose())

describe('fault injection at the agent', () => {
  // [protocol, fault, the least time the documented retry waits before its second request]
  const recovered: [string, string, number][] = [
    ['imds', '404:first=1', 400], // imdsRetryPolicy: 800 ms jittered to 50–100 %
    ['imds', '410:first=1', 1500], // 410: at least 3000 ms, jittered
    ['imds', '429:first=1', 1000], // Retry-After: 1
    ['imds', '500:first=1', 500], // exponential from 1 s, jittered
    ['imds', '503:first=2', 2000], // Retry-After: 1, twice
    ['appservice', '404:first=1', 400],
    ['appservice', '429:first=1', 1000],
    ['appservice', '503:first=1', 1000],
  ]
  for (const [protocol, fault, waitsMs] of recovered) {
    it(`${protocol} ${fault}: ManagedIdentityCredential retries and gets the token`, async () => {
      const set = await cli('agent', 'fault', 'set', '--as', vm, '--fault', fault, '-o', 'json')
      assert.equal(set.code, 0, set.stderr)
      try {
        const r = await micToken(protocol)
        assert.ok(r.token, r.error)
        await verifyToken(k, r.token!)
        const [plan] = await faultList()
        const n = Number(/first=(\d)/.exec(fault)![1])
        assert.deepEqual(plan!.faults, [{ spec: fault, injected: n }], 'each faulted answer seen')
        assert.ok(r.ms >= waitsMs, `waited ${r.ms} ms, the policy waits at least ${waitsMs} ms`)
      } finally {
        assert.equal((await cli('agent', 'fault', 'clear', '--as', vm)).code, 0)
      }
    })
  }

  it('500 on every request: the credential gives up after its 3 retries (4 requests)', async () => {
    assert.equal((await cli('agent', 'fault', 'set', '--as', vm, '--fault', '500')).code, 0)
    try {
      const r = await micToken('imds')
      assert.equal(r.token, undefined)
      assert.match(r.error!, /CredentialUnavailableError/)
      assert.deepEqual((await faultList())[0]!.faults, [{ spec: '500', injected: 4 }])
    } finally {
      await cli('agent', 'fault', 'clear')
    }
  })

  it('keyless run --fault applies to that run only, delays included, and ends with it', async () => {
    const r = await micToken('appservice', ['--fault', '503:first=1', '--fault', 'delay:200ms'])
    assert.ok(r.token, r.error)
    assert.ok(r.ms >= 1400, `503 (Retry-After 1 s) and two 200 ms delays: ${r.ms} ms`)
    assert.deepEqual(await faultList(), [], "the run's plan went with the run")
    const plain = await micToken('appservice')
    assert.ok(plain.token, plain.error)
  })

  it('faults are visible in `keyless status` and in the control API, and cleared by clear', async () => {
    await cli('agent', 'fault', 'set', '--as', vm, '--fault', '429:0.3', '--fault', 'delay:1s')
    const status = await cli('status')
    assert.match(status.stdout, /agent fault\s+\S+vm1: 429:0\.3 \(0 injected\), delay:1000ms/i)
    const answer = await controlGet('/status')
    assert.equal((answer.faults as unknown[]).length, 1)
    assert.equal((await cli('agent', 'fault', 'clear')).code, 0)
    assert.deepEqual(await faultList(), [])
    assert.doesNotMatch((await cli('status')).stdout, /agent fault/)
  })

  it('bad specs and unknown targets are refused, and nothing is set', async () => {
    const bad = await cli('agent', 'fault', 'set', '--as', vm, '--fault', '418')
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /the status must be one of 404, 410, 429, 500, 503/)
    const noRun = await cli('agent', 'fault', 'set', '--run', 'nope', '--fault', '500')
    assert.notEqual(noRun.code, 0)
    assert.match(noRun.stderr, /run 'nope' does not exist/)
    const put = await controlCall('PUT', '/faults', { resourceId: vm, faults: ['500', 'x'] })
    assert.equal(put.status, 400)
    assert.equal((put.body.error as { code: string }).code, 'InvalidFault')
    assert.deepEqual(await faultList(), [])
  })
})

/** As endpoints.json names it now (`keyless up` adds it once its agent is up). */
function agentSocket(): string {
  return String(readJson(join(k.dataDir, 'endpoints.json')).agentSocket)
}

function controlCall(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: agentSocket(), method, path }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

async function controlGet(path: string): Promise<Record<string, unknown>> {
  const r = await controlCall('GET', path)
  assert.equal(r.status, 200)
  return r.body
}
