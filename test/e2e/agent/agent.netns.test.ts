// IMDS where Azure puts it: two "VMs" as network namespaces on one host, each placed there with
// `netns`, get 169.254.169.254:80 inside their namespace. Unmodified programs there (curl with
// `Metadata: true`, the stock @azure/identity ManagedIdentityCredential with no options, no
// variable set) get their own VM's system- and user-assigned tokens, and nothing of the other
// VM's. Needs root and iproute2; every namespace is removed after, even on failure.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { call } from '../../../src/agent/test-http.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { operatorToken } from '../../helpers/tokens.js'
import {
  eventually,
  keyless,
  management,
  MI_TOKENS,
  startAgentProcess,
  VAULT,
  verifyToken,
  type AgentProcess,
  type Identity,
} from './agent.config.js'

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => existsSync(p))
const CURL = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p))
const skip =
  process.getuid?.() !== 0
    ? 'needs root to create network namespaces'
    : !IP
      ? "needs iproute2's ip"
      : !CURL
        ? 'needs curl'
        : false

/** A unique prefix per run, so parallel runs on this machine never share a namespace. */
const PREFIX = `kl${process.pid}${randomBytes(2).toString('hex')}`
const NS_A = `${PREFIX}-vma`
const NS_B = `${PREFIX}-vmb`
const NS_C = `${PREFIX}-vmc`
const IMDS = 'http://169.254.169.254/metadata/identity/oauth2/token'

function exec(file: string, args: string[], env?: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) || 1 : 0, stdout, stderr }),
    )
  })
}

/** `curl -H Metadata:true` inside `ns`, as a VM's program would ask. */
async function curlIn(ns: string, query: string, extra: string[] = []) {
  const r = await exec(IP!, [
    'netns',
    'exec',
    ns,
    CURL!,
    '-s',
    '--max-time',
    '5',
    '-H',
    'Metadata:true',
    ...extra,
    `${IMDS}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}${query}`,
  ])
  return { ...r, json: () => JSON.parse(r.stdout) }
}

describe('IMDS at 169.254.169.254 in a VM network namespace', { skip }, () => {
  let k: KeylessProcess
  let agent: AgentProcess
  let uami: Identity
  let vmA: { id: string; principalId?: string }
  let vmB: { id: string; principalId?: string }
  let runA: string
  let m: ReturnType<typeof management>
  let rg: string

  const control = (method: string, path: string, body?: unknown) =>
    call(`http://agent${path}`, {
      method,
      socketPath: agent.controlSocket,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    })

  before(async () => {
    k = await startKeyless()
    m = management(k, await operatorToken(k))
    rg = await m.createGroup('netns-rg')
    uami = await m.createIdentity(rg, 'vm-a-app')
    agent = await startAgentProcess(k, { joinToken: await m.joinToken() })
    vmA = await m.putVm(rg, 'vm-a', { hostId: agent.hostId, system: true, user: [uami.id] })
    vmB = await m.putVm(rg, 'vm-b', { hostId: agent.hostId, system: true })
  })
  after(async () => {
    await agent?.stop()
    await k?.dispose()
    for (const ns of [NS_A, NS_B, NS_C]) await exec(IP!, ['netns', 'del', ns])
  })

  it('places each VM in its own namespace, creating it, with nothing for the workload to set', async () => {
    const res = await control('POST', '/runs', {
      resourceId: vmA.id,
      protocol: 'imds',
      netns: NS_A,
    })
    assert.equal(res.status, 201, res.text)
    assert.equal(res.json().netns, NS_A)
    assert.deepEqual(res.json().env, {})
    runA = res.json().id
    // The CLI does the same for B.
    const cli = await keyless([
      'runs',
      'add',
      '--as',
      vmB.id,
      '--netns',
      NS_B,
      '--state-dir',
      agent.stateDir,
      '-o',
      'json',
    ])
    assert.equal(cli.code, 0, cli.stderr)
    assert.equal(JSON.parse(cli.stdout).netns, NS_B)
    const again = await control('POST', '/runs', {
      resourceId: vmB.id,
      protocol: 'imds',
      netns: NS_A,
    })
    assert.equal(again.status, 409)
    assert.equal(again.json().error.code, 'NetnsInUse')
    const wrong = await control('POST', '/runs', {
      resourceId: vmA.id,
      protocol: 'arc',
      netns: 'x',
    })
    assert.equal(wrong.status, 400)
    assert.equal(wrong.json().error.code, 'InvalidProtocol')
    const bad = await control('POST', '/runs', {
      resourceId: vmA.id,
      protocol: 'imds',
      netns: '../x',
    })
    assert.equal(bad.status, 400)
    assert.equal(bad.json().error.code, 'InvalidNetns')
  })

  it("gives curl -H Metadata:true in VM A A's system- and user-assigned tokens", async () => {
    const system = await curlIn(NS_A, '')
    assert.equal(system.code, 0, system.stderr)
    assert.equal((await verifyToken(k, system.json().access_token)).oid, vmA.principalId)
    const user = await curlIn(NS_A, `&mi_res_id=${encodeURIComponent(uami.id)}`)
    assert.equal((await verifyToken(k, user.json().access_token)).oid, uami.principalId)
    const byClient = await curlIn(NS_A, `&client_id=${uami.clientId}`)
    assert.equal(byClient.json().client_id, uami.clientId)
  })

  it('serves the stock ManagedIdentityCredential with no options and DefaultAzureCredential in the VM', async () => {
    const cases = [{ sdk: 'mic' }, { sdk: 'mic', id: { clientId: uami.clientId } }, { sdk: 'dac' }]
    // Only what any process of a VM has: no IDENTITY_ENDPOINT, no AZURE_*, no test CA.
    const r = await exec(
      IP!,
      [
        'netns',
        'exec',
        NS_A,
        process.execPath,
        MI_TOKENS,
        JSON.stringify({ resource: VAULT, cases }),
      ],
      { PATH: process.env.PATH, HOME: '/tmp' },
    )
    assert.equal(r.code, 0, r.stderr)
    const results = JSON.parse(r.stdout) as { token?: string; error?: string }[]
    const oids = []
    for (const x of results) {
      assert.ok(x.token, x.error)
      oids.push((await verifyToken(k, x.token!)).oid)
    }
    assert.deepEqual(oids, [vmA.principalId, uami.principalId, vmA.principalId])
  })

  it("keeps VM B's identity out of VM A's reach, and A's out of B's", async () => {
    const b = await curlIn(NS_B, '')
    assert.equal((await verifyToken(k, b.json().access_token)).oid, vmB.principalId)
    // A's agent listener refuses B's identity: it is not attached to A.
    const asB = await curlIn(NS_A, `&object_id=${vmB.principalId}`)
    assert.equal(asB.json().error_description, 'Identity not found', asB.stdout)
    const uamiFromB = await curlIn(NS_B, `&mi_res_id=${encodeURIComponent(uami.id)}`)
    assert.equal(uamiFromB.json().error_description, 'Identity not found', uamiFromB.stdout)
    // Nothing leaves A's namespace: only its loopback, no route to B or to the host's agent.
    const links = await exec(IP!, ['-n', NS_A, '-o', 'link', 'show'])
    assert.deepEqual(
      links.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]!.trim()),
      ['lo'],
    )
    const hostAgent = await exec(IP!, [
      'netns',
      'exec',
      NS_A,
      CURL!,
      '-s',
      '--max-time',
      '2',
      agent.identityEndpoint,
    ])
    assert.notEqual(hostAgent.code, 0, "the host's loopback listener is not A's loopback")
  })

  it("stops A's IMDS when its run is removed, leaving B's", async () => {
    const res = await control('DELETE', `/runs/${runA}`)
    assert.equal(res.status, 204)
    const gone = await curlIn(NS_A, '')
    assert.notEqual(gone.code, 0, 'nothing listens at 169.254.169.254 in A any more')
    const b = await curlIn(NS_B, '')
    assert.equal(b.code, 0, b.stderr)
    assert.ok(b.json().access_token)
  })

  it('serves a VM placed with properties.networkNamespace in it, with no one on the host asking', async () => {
    const id = `${rg}/providers/Microsoft.Compute/virtualMachines/vm-c`
    const put = (properties: Record<string, unknown>) =>
      m.call('PUT', `${id}?api-version=2024-07-01`, {
        location: 'eastus',
        properties,
        identity: { type: 'SystemAssigned' },
      })
    const bad = await put({ hostId: agent.hostId, networkNamespace: '../etc' })
    assert.equal(bad.status, 400)
    assert.equal(bad.json().error.code, 'InvalidNetns')
    const hostless = await put({ networkNamespace: NS_C })
    assert.equal(hostless.status, 400)
    assert.equal(hostless.json().error.code, 'InvalidNetns')

    const created = await put({ hostId: agent.hostId, networkNamespace: NS_C })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.json().properties.networkNamespace, NS_C)
    const principalId = created.json().identity.principalId
    await eventually(10_000, async () => (await curlIn(NS_C, '')).code === 0, 100)
    const token = (await curlIn(NS_C, '')).json().access_token
    assert.equal((await verifyToken(k, token)).oid, principalId)
    const runs = (await control('GET', '/runs')).json().value as {
      netns?: string
      placed?: boolean
    }[]
    assert.equal(runs.find((r) => r.netns === NS_C)?.placed, true)

    // Taking the namespace away (PATCH null) ends the IMDS there.
    const patched = await m.call('PATCH', `${id}?api-version=2024-07-01`, {
      properties: { networkNamespace: null },
    })
    assert.equal(patched.status, 200, patched.text)
    assert.equal(patched.json().properties.networkNamespace, undefined)
    await eventually(10_000, async () => (await curlIn(NS_C, '')).code !== 0, 100)
    const after = (await control('GET', '/runs')).json().value as { netns?: string }[]
    assert.equal(
      after.find((r) => r.netns === NS_C),
      undefined,
    )
  })
})
