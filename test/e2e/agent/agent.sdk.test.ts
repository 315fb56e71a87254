// The promise of the product: a program started by `keyless run` gets managed-identity tokens
// from the real @azure/identity (ManagedIdentityCredential, DefaultAzureCredential) and
// @azure/msal-node (ManagedIdentityApplication) with no secret, through the App Service, IMDS
// and Arc protocols, for the system-assigned identity and for a user-assigned one selected by
// client id, object id and resource id. Every token verifies against the JWKS and names the
// right identity.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { BIN, startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { call } from '../../../src/agent/test-http.js'
import { operatorToken } from '../../helpers/tokens.js'
import {
  keyless,
  management,
  mirid,
  removeDir,
  sdkTokens,
  startAgentProcess,
  verifyToken,
  type AgentProcess,
  type Identity,
  type SdkCase,
} from './agent.config.js'

describe('Azure SDKs under keyless run', () => {
  let k: KeylessProcess
  let agent: AgentProcess
  let vm: { id: string; principalId?: string }
  let uami: Identity
  let vmClientId: string

  before(async () => {
    k = await startKeyless()
    const api = management(k, await operatorToken(k))
    agent = await startAgentProcess(k, { joinToken: await api.joinToken() })
    const rg = await api.createGroup('sdk-rg')
    uami = await api.createIdentity(rg, 'app-identity')
    vm = await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: true, user: [uami.id] })
    const sp = await api.call('GET', `/v1.0/servicePrincipals/${vm.principalId}`)
    vmClientId = sp.json().appId
  })
  after(async () => {
    await agent?.stop()
    if (agent) removeDir(agent.stateDir)
    await k?.dispose()
  })

  /** Each case's token verifies and names the system-assigned identity, or the user-assigned one. */
  async function assertTokens(results: Awaited<ReturnType<typeof sdkTokens>>) {
    for (const r of results) {
      const label = `${r.sdk} ${JSON.stringify(r.id ?? 'system')}`
      assert.ok(r.token, `${label}: ${r.error}`)
      const claims = await verifyToken(k, r.token!)
      if (r.id) {
        assert.equal(claims.oid, uami.principalId, label)
        assert.equal(claims.appid, uami.clientId, label)
        assert.equal(claims.xms_mirid, mirid(uami.id), label)
      } else {
        assert.equal(claims.oid, vm.principalId, label)
        assert.equal(claims.appid, vmClientId, label)
        assert.equal(claims.xms_mirid, mirid(vm.id), label)
      }
      assert.equal(claims.idtyp, 'app')
      assert.equal(claims.appidacr, '2')
    }
  }

  const everyWay = (): SdkCase[] => [
    { sdk: 'mic' },
    { sdk: 'mic', id: { clientId: uami.clientId } },
    { sdk: 'mic', id: { objectId: uami.principalId } },
    { sdk: 'mic', id: { resourceId: uami.id } },
    { sdk: 'dac' },
    { sdk: 'dac', id: { clientId: uami.clientId } },
    { sdk: 'dac', id: { resourceId: uami.id } },
    { sdk: 'msal' },
    { sdk: 'msal', id: { clientId: uami.clientId } },
    { sdk: 'msal', id: { objectId: uami.principalId } },
    { sdk: 'msal', id: { resourceId: uami.id } },
  ]

  for (const [protocol, through] of [
    [[], 'the App Service protocol'],
    [['--protocol', 'imds'], 'IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST)'],
    [['--protocol', 'arc'], 'the Azure Arc challenge'],
  ] as const) {
    it(`serves every SDK and selector through ${through}`, async () => {
      await assertTokens(
        await sdkTokens(['--as', vm.id, ...protocol, '--state-dir', agent.stateDir], everyWay()),
      )
    })
  }

  it('lets DefaultAzureCredential pick the user-assigned identity from --client-id', async () => {
    const results = await sdkTokens(
      ['--as', vm.id, '--client-id', uami.clientId, '--state-dir', agent.stateDir],
      [{ sdk: 'dac' }],
    )
    assert.ok(results[0]!.token, results[0]!.error)
    assert.equal((await verifyToken(k, results[0]!.token!)).oid, uami.principalId)
  })

  /** The arguments of `keyless run --as <vm>` (on the test host's agent) running `node -e <code>`. */
  const runNode = (code: string) => [
    'run',
    '--as',
    vm.id,
    '--state-dir',
    agent.stateDir,
    '--',
    process.execPath,
    '-e',
    code,
  ]

  it('gives the program the CA variables and no AZURE_CLIENT_ID unless asked', async () => {
    const r = await keyless(runNode('console.log(JSON.stringify(process.env))'), {
      AZURE_CLIENT_ID: '',
    })
    assert.equal(r.code, 0, r.stderr)
    const env = JSON.parse(r.stdout)
    assert.equal(env.IDENTITY_ENDPOINT, agent.identityEndpoint)
    assert.match(env.IDENTITY_HEADER, /^[\w-]{43}$/)
    assert.match(env.NODE_EXTRA_CA_CERTS, /ca\.crt$/)
    assert.match(env.SSL_CERT_FILE, /ca-bundle\.pem$/)
    assert.equal(env.REQUESTS_CA_BUNDLE, env.SSL_CERT_FILE)
    assert.equal(env.AZURE_CLIENT_ID, '')
  })

  it('exits with the program code and deletes its run', async () => {
    const runs = async () =>
      (await call('http://agent/runs', { socketPath: agent.controlSocket })).json().value.length
    const before = await runs()
    const r = await keyless(runNode('process.exit(7)'))
    assert.equal(r.code, 7)
    assert.equal(await runs(), before)
  })

  it('forwards signals to the program and exits as it does', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        ...runNode(
          "process.on('SIGTERM', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000)",
        ),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    await new Promise<void>((r) =>
      child.stdout!.on('data', (c: Buffer) => c.includes('ready') && r()),
    )
    child.kill('SIGTERM')
    assert.equal(await exited, 42)
  })

  /** `keyless env` for an IMDS run of vm1: the run's id, expiry, endpoint and the whole output. */
  const keylessEnv = async (...extra: string[]) => {
    const r = await keyless([
      'env',
      '--as',
      vm.id,
      '--protocol',
      'imds',
      '--state-dir',
      agent.stateDir,
      ...extra,
    ])
    assert.equal(r.code, 0, r.stderr)
    const m = /^# keyless run (\S+) as .* until (\S+)$/m.exec(r.stdout)
    assert.ok(m, r.stdout)
    const host = /^export AZURE_POD_IDENTITY_AUTHORITY_HOST='(http:\/\/127\.0\.0\.1:\d+)'$/m.exec(
      r.stdout,
    )
    assert.ok(host, r.stdout)
    return { id: m[1]!, until: Date.parse(m[2]!), host: host[1]!, stdout: r.stdout }
  }

  it('prints shell exports with keyless env, and the run keeps serving', async () => {
    const { host, stdout } = await keylessEnv()
    assert.match(stdout, /^export NODE_EXTRA_CA_CERTS='[^']+'$/m)
    const res = await fetch(
      `${host}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(
        'https://vault.azure.net',
      )}`,
      { headers: { Metadata: 'true' } },
    )
    assert.equal(res.status, 200)
  })

  it('keyless env runs expire after --ttl (12 h by default), are listed, and can be removed', async () => {
    const env = keylessEnv
    const started = Date.now()
    const byDefault = await env()
    assert.ok(Math.abs(byDefault.until - started - 12 * 3600_000) < 60_000)
    const short = await env('--ttl', '30m')
    assert.ok(Math.abs(short.until - started - 30 * 60_000) < 60_000)
    const bad = await keyless(['env', '--as', vm.id, '--state-dir', agent.stateDir, '--ttl', '0'])
    assert.notEqual(bad.code, 0)

    const listed = await keyless(['runs', 'list', '--state-dir', agent.stateDir, '-o', 'json'])
    assert.equal(listed.code, 0, listed.stderr)
    const run = (JSON.parse(listed.stdout) as any[]).find((r) => r.id === short.id)
    assert.equal(run.expiresAt, short.until)
    assert.equal(run.uid, process.getuid!())

    const removed = await keyless(['runs', 'remove', short.id, '--state-dir', agent.stateDir])
    assert.equal(removed.code, 0, removed.stderr)
    const after = await keyless(['runs', 'list', '--state-dir', agent.stateDir, '-o', 'json'])
    assert.equal(
      (JSON.parse(after.stdout) as any[]).some((r) => r.id === short.id),
      false,
    )
    await assert.rejects(
      fetch(`${short.host}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x`, {
        headers: { Metadata: 'true' },
      }),
    )
    const again = await keyless(['runs', 'remove', short.id, '--state-dir', agent.stateDir])
    assert.equal(again.code, 3)
  })

  it("uses keyless up's own agent, found through endpoints.json, for a VM that names no host", async () => {
    const api = management(k, await operatorToken(k))
    const local = await api.putVm(api.group('sdk-rg'), 'local-vm', { system: true })
    const results = await sdkTokens(
      ['--as', local.id, '--data-dir', k.dataDir],
      [{ sdk: 'mic' }, { sdk: 'msal' }],
    )
    for (const r of results) {
      assert.ok(r.token, r.error)
      const claims = await verifyToken(k, r.token!)
      assert.equal(claims.oid, local.principalId)
      assert.equal(claims.xms_mirid, mirid(local.id))
    }
  })

  it('refuses a resource id that is not a resource, before starting anything', async () => {
    const r = await keyless([
      'run',
      '--as',
      '/subscriptions/x',
      '--state-dir',
      agent.stateDir,
      '--',
      'true',
    ])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /InvalidResourceId/)
  })
})
