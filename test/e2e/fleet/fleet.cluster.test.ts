// The cluster test across hosts (issue 13): PostgreSQL, three replicas behind HAProxy, three
// hosts as network namespaces joined by veth pairs, each with its `keyless agent` and VMs in
// their own namespaces with IMDS at 169.254.169.254. Agents run with clocks off by +2 and -2
// minutes (libfaketime). Asserts isolation between VMs and hosts, a PostgreSQL restart under
// load, a host cut off and reconnected, and that the skew breaks nothing. Needs root and `ip`;
// every namespace, link and process is removed after, even on failure.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { form, https } from '../../helpers/https.js'
import { MI_API, MI_TOKENS, VAULT, VM_API, eventually } from '../agent/agent.config.js'
import { CURL, IP } from './fleet-network.js'
import { FLEET_SKIP, SKEW_UNAVAILABLE, startFleet, type Fleet, type Vm } from './fleet.config.js'
import { ROOT } from '../../helpers/keyless.js'
import { join } from 'node:path'

const IMDS = 'http://169.254.169.254/metadata/identity/oauth2/token'
const LOAD = join(ROOT, 'test/fixtures/imds-load.mjs')
const SKEWS = SKEW_UNAVAILABLE ? [0, 0, 0] : [120, -120, 0]
/** How long host 3 stays cut off (the long form sets more). */
const CUT_MS = Number(process.env.KEYLESS_FLEET_CUT_MS ?? 4000)
const q = (extra = '') => `resource=${encodeURIComponent(VAULT)}${extra}`

type Identity = { id: string; principalId: string; clientId: string }
type Answer = { t: number; q: number; status: number; token?: string; error?: string }

/** A workload in `netns` asking IMDS for each of `queries` in turn (test/fixtures/imds-load.mjs). */
function workload(netns: string, queries: string[], everyMs = 50) {
  const child: ChildProcess = spawn(
    IP!,
    ['netns', 'exec', netns, process.execPath, LOAD, JSON.stringify(queries), String(everyMs)],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH } },
  )
  const answers: Answer[] = []
  let pending = ''
  child.stdout!.on('data', (c: Buffer) => {
    pending += c.toString()
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      answers.push(JSON.parse(pending.slice(0, nl)))
      pending = pending.slice(nl + 1)
    }
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  return {
    answers,
    async stop() {
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
      return answers
    },
  }
}

describe('a fleet of three hosts on three replicas behind HAProxy', { skip: FLEET_SKIP }, () => {
  let fleet: Fleet
  let uA: Identity
  let uB: Identity
  let uC: Identity
  let vmA: Vm
  let vmA2: Vm
  let vmB: Vm
  let vmC: Vm
  const loads: ReturnType<typeof workload>[] = []

  /** `curl -H Metadata:true` in `netns`, as a VM's program asks. */
  const curl = async (netns: string, query: string) => {
    const r = await fleet.net.execIn(netns, CURL!, [
      '-s',
      '-i',
      '--max-time',
      '5',
      '-H',
      'Metadata:true',
      `${IMDS}?api-version=2018-02-01&${query}`,
    ])
    const [head = '', body = ''] = r.stdout.split('\r\n\r\n')
    const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1] ?? 0)
    const date = /^date: (.*)$/im.exec(head)?.[1]
    const json = () => JSON.parse(body)
    return { ...r, status, date, json }
  }
  const oid = async (token: string) => (await fleet.verify(token, VAULT)).oid

  before(async () => {
    fleet = await startFleet(SKEWS)
    uA = await fleet.createIdentity('u-a')
    uB = await fleet.createIdentity('u-b')
    uC = await fleet.createIdentity('u-c')
    vmA = await fleet.placeVm(1, 'vm-a', [uA!.id])
    vmA2 = await fleet.placeVm(1, 'vm-e', [])
    vmB = await fleet.placeVm(2, 'vm-b', [uB!.id])
    vmC = await fleet.placeVm(3, 'vm-c', [uC!.id])
    for (const [i, vm] of [vmA, vmA2, vmB, vmC].entries()) {
      const agent = fleet.agents[[0, 0, 1, 2][i]!]!
      await eventually(30_000, async () => (await curl(vm.netns, q())).status === 200, 200).catch(
        async (err: Error) => {
          const status = await agent.control('GET', '/status')
          const last = await curl(vm.netns, q())
          throw new Error(
            `${vm.id} not served in ${vm.netns}: ${err.message}\n${last.stdout}${last.stderr}\n${status.text}\n${agent.output()}`,
          )
        },
      )
    }
  })
  after(async () => {
    await Promise.all(loads.map((l) => l.stop()))
    await fleet?.dispose()
  })

  it('gives a workload in each VM its own system- and user-assigned identities', async () => {
    for (const [vm, user] of [
      [vmA, uA],
      [vmA2, undefined],
      [vmB, uB],
      [vmC, uC],
    ] as const) {
      const system = await curl(vm.netns, q())
      assert.equal(system.status, 200, system.stdout)
      assert.equal(await oid(system.json().access_token), vm.principalId)
      if (!user) continue
      const byId = await curl(vm.netns, q(`&mi_res_id=${encodeURIComponent(user.id)}`))
      assert.equal(byId.status, 200, byId.stdout)
      assert.equal(await oid(byId.json().access_token), user.principalId)
    }
    // The stock @azure/identity ManagedIdentityCredential in VM A, with only what any process
    // there has: no IDENTITY_ENDPOINT, no AZURE_* variable, no test CA.
    const cases = [{ sdk: 'mic' }, { sdk: 'mic', id: { clientId: uA.clientId } }]
    const r = await fleet.net.execIn(
      vmA.netns,
      process.execPath,
      [MI_TOKENS, JSON.stringify({ resource: VAULT, cases })],
      { PATH: process.env.PATH, HOME: '/tmp' },
    )
    assert.equal(r.code, 0, r.stderr)
    const results = JSON.parse(r.stdout) as { token?: string; error?: string }[]
    const oids = []
    for (const x of results) {
      assert.ok(x.token, x.error)
      oids.push(await oid(x.token!))
    }
    assert.deepEqual(oids, [vmA.principalId, uA.principalId])
  })

  it("keeps B's identities out of VM A: A's IMDS refuses them and nothing else is in reach", async () => {
    for (const query of [
      `&object_id=${vmB.principalId}`,
      `&mi_res_id=${encodeURIComponent(uB.id)}`,
      `&client_id=${uB.clientId}`,
      `&object_id=${vmA2.principalId}`,
    ]) {
      const r = await curl(vmA.netns, q(query))
      assert.equal(r.status, 400, r.stdout)
      assert.equal(r.json().error_description, 'Identity not found', r.stdout)
    }
    // VM A's namespace has its loopback only: no route to the load balancer, to B's host, to
    // its own host's listeners.
    const links = await fleet.net.execIn(vmA.netns, IP!, ['-o', 'link', 'show'])
    assert.deepEqual(
      links.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]!.trim()),
      ['lo'],
    )
    for (const target of [
      `${fleet.publicUrl}/healthz`,
      `http://${fleet.agents[1]!.host.address}:40342/`,
      `http://${fleet.agents[0]!.host.address}:40342/`,
    ]) {
      const r = await fleet.net.execIn(vmA.netns, CURL!, ['-sk', '--max-time', '2', target])
      assert.notEqual(r.code, 0, `${target} is reachable from VM A`)
    }
  })

  it("has A's agent refuse B's resource, even when root on A's host asks it to serve B", async () => {
    const h1 = fleet.agents[0]!
    const netns = fleet.net.vmNamespace(1, 'x')
    const run = await h1.control('POST', '/runs', {
      resourceId: vmB.id,
      protocol: 'imds',
      netns,
    })
    assert.equal(run.status, 201, run.text)
    try {
      const r = await curl(netns, q())
      assert.equal(r.status, 400, r.stdout)
      assert.match(r.json().error_description, /host/i, r.stdout)
      const user = await curl(netns, q(`&mi_res_id=${encodeURIComponent(uB.id)}`))
      assert.equal(user.status, 400, user.stdout)
    } finally {
      await h1.control('DELETE', `/runs/${run.json().id}`)
    }
  })

  it('serves agents whose clocks run two minutes ahead and behind the replicas', async (t) => {
    if (SKEW_UNAVAILABLE) return t.skip(SKEW_UNAVAILABLE)
    // Each agent answers with its own clock in Date (1 s resolution); its tokens are fresh ones
    // the replicas issued on theirs, and verify against the real clock.
    for (const [vm, agent] of [
      [vmA, fleet.agents[0]!],
      [vmB, fleet.agents[1]!],
    ] as const) {
      const r = await curl(vm.netns, q())
      assert.equal(r.status, 200, r.stdout)
      const offset = (Date.parse(r.date!) - Date.now()) / 1000
      assert.ok(Math.abs(offset - agent.skewSeconds) < 10, `agent clock off by ${offset} s`)
      const claims = await fleet.verify(r.json().access_token, VAULT)
      assert.equal(claims.oid, vm.principalId)
      assert.ok(Math.abs(claims.iat! - Date.now() / 1000) < 600)
    }
  })

  it('answers 503 with Retry-After while PostgreSQL restarts, serves again within 5 s and loses no acknowledged write', async () => {
    const loadA = workload(vmA.netns, [q(), q(`&mi_res_id=${encodeURIComponent(uA.id)}`)])
    const loadB = workload(vmB.netns, [q()])
    loads.push(loadA, loadB)
    const identities = `${fleet.group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`
    let stop = false
    const acked: string[] = []
    const statuses: number[] = []
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `pg-${w}-${i}`
        const r = await fleet
          .operator('PUT', `${identities}/${name}?api-version=${MI_API}`, { location: 'eastus' })
          .catch(() => undefined)
        statuses.push(r?.status ?? 0)
        if (r && r.status < 300) acked.push(name)
        else await sleep(100)
      }
    }
    const writers = Promise.all([writer(1), writer(2)])
    let recoveryMs = 0
    try {
      await sleep(1500)
      fleet.pg.stop()
      await sleep(1000)
      const arm = await fleet.operator('PUT', `${fleet.group}-outage?api-version=2021-04-01`, {
        location: 'eastus',
      })
      assert.equal(arm.status, 503, arm.text)
      assert.ok(Number(arm.headers['retry-after']) > 0, 'ARM: no Retry-After')
      assert.equal(arm.json().error.code, 'ServiceUnavailable', arm.text)
      const oauth = await https(`${fleet.publicUrl}/${fleet.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'client_credentials',
          client_id: fleet.admin.clientId,
          client_secret: 'not-the-secret-so-the-store-is-asked',
          scope: 'https://management.azure.com/.default',
        }),
        ca: fleet.ca,
      })
      assert.equal(oauth.status, 503, oauth.text)
      assert.ok(Number(oauth.headers['retry-after']) > 0, 'OAuth: no Retry-After')
      assert.equal(oauth.json().error, 'temporarily_unavailable', oauth.text)
      await sleep(500)
      fleet.pg.start()
      const back = Date.now()
      for (;;) {
        const r = await fleet.operator('GET', `${fleet.group}?api-version=2021-04-01`)
        if (r.status === 200) break
        assert.ok(Date.now() - back < 5000, `not serving within 5 s of the database: ${r.text}`)
        await sleep(100)
      }
      recoveryMs = Date.now() - back
      await sleep(1000)
    } finally {
      stop = true
      await writers
    }
    const answers = [...(await loadA.stop()), ...(await loadB.stop())]
    assert.deepEqual(
      answers.filter((a) => a.status !== 200),
      [],
      "every workload's token request was answered (from the agents' caches during the outage)",
    )
    assert.ok(statuses.includes(503), 'no write met the outage')
    // A write in flight when HAProxy takes the replicas out (and back in) may see its connection
    // closed: at most one per writer per change. Every other answer is a success or a 503.
    const closed = statuses.filter((s) => s === 0).length
    assert.ok(closed <= 4, `${closed} writes saw their connection closed`)
    assert.deepEqual(
      statuses.filter((s) => s !== 0 && s >= 300 && s !== 503),
      [],
    )
    const present = new Set<string>()
    for (let next: string | undefined = `${identities}?api-version=${MI_API}`; next;) {
      const page = await fleet.operator('GET', next.replace(fleet.publicUrl, ''))
      assert.equal(page.status, 200, page.text)
      for (const x of page.json().value as { name: string }[]) present.add(x.name)
      next = page.json().nextLink
    }
    assert.deepEqual(
      acked.filter((n) => !present.has(n)),
      [],
      'every acknowledged write is there',
    )
    console.log(
      `# fleet: PostgreSQL restart: recovery ${recoveryMs} ms, ${acked.length} writes acknowledged, ${statuses.filter((s) => s === 503).length} answered 503, ${closed} closed in flight, ${answers.length} workload tokens served`,
    )
  })

  it('serves a cut-off host from its cache and, reconnected, refuses what was revoked meanwhile', async () => {
    const h3 = fleet.agents[2]!
    const system = q()
    const user = q(`&mi_res_id=${encodeURIComponent(uC.id)}`)
    for (const query of [system, user]) assert.equal((await curl(vmC.netns, query)).status, 200)
    const load = workload(vmC.netns, [system, user], 100)
    loads.push(load)
    await sleep(500)
    await h3.host.setLink(false)
    const cutAt = Date.now()
    try {
      const lb = await fleet.net.execIn(h3.host.netns, CURL!, [
        '-sk',
        '--max-time',
        '2',
        `${fleet.publicUrl}/healthz`,
      ])
      assert.notEqual(lb.code, 0, 'the cut-off host still reaches the load balancer')
      // Detached while the host cannot hear of it.
      const res = await fleet.operator('PUT', `${vmC.id}?api-version=${VM_API}`, {
        location: 'eastus',
        properties: { hostId: h3.hostId, networkNamespace: vmC.netns },
        identity: { type: 'SystemAssigned' },
      })
      assert.ok(res.status < 300, res.text)
      await sleep(CUT_MS)
    } finally {
      await h3.host.setLink(true)
    }
    const upAt = Date.now()
    const refusedIn = await eventually(
      30_000,
      () => load.answers.some((a) => a.q === 1 && a.t > upAt && a.status !== 200),
      50,
    )
    await sleep(2000)
    const answers = await load.stop()
    const during = answers.filter((a) => a.t > cutAt && a.t < upAt)
    assert.ok(during.length > 10, `${during.length} answers during the cut`)
    assert.deepEqual(
      during.filter((a) => a.status !== 200),
      [],
      'the cut-off host served its cached tokens',
    )
    const firstRefusal = answers.find((a) => a.q === 1 && a.t > upAt && a.status !== 200)!
    assert.equal(firstRefusal.status, 400, firstRefusal.error)
    assert.deepEqual(
      answers.filter((a) => a.q === 1 && a.t > firstRefusal.t && a.status === 200),
      [],
      'never served again once refused',
    )
    assert.deepEqual(
      answers.filter((a) => a.q === 0 && a.status !== 200),
      [],
      'the system-assigned identity was served throughout',
    )
    const servedAfterUp = answers.filter((a) => a.q === 1 && a.t > upAt && a.status === 200)
    console.log(
      `# fleet: host cut ${upAt - cutAt} ms, ${during.length} cached answers during it, detached identity refused ${refusedIn} ms after the link came back, served ${servedAfterUp.length} times in between`,
    )
  })
})
