// Process selectors (issue 15) from the caller's side: real processes under another uid (root
// can setuid its children), running another executable, and in another cgroup (cgroup v2, and
// systemd's v1 hierarchy for the unit) ask a run for a token whose attachment carries
// selectors. Those that do not match get exactly the "Identity not found" of an unattached
// identity, and a log line says why; those that match get the token, from the cache too.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import type { ProcessSelectors } from '../domain/process-selectors.js'
import { cgroupOf, createProcessFacts, systemdCgroupOf, unitOf } from './process-facts.js'
import { refusalOf } from './process-selection.js'
import { ARM, PATH, VM, startFakeAgent, type FakeAgent } from './test-agent.js'
import { warningsLogger } from './test-fakes.js'
import { NOBODY, requestAs, startWorkload, type Reply } from './test-peer.js'

const isRoot = process.getuid?.() === 0
const skip = isRoot ? false : 'needs root to start processes under another uid (CI runs as root)'
const NODE = realpathSync(process.execPath)
const NODE_SHA = createHash('sha256').update(readFileSync(NODE)).digest('hex')
const IDENTITY_NOT_FOUND = { error: 'invalid_request', error_description: 'Identity not found' }

function assertToken(r: Reply) {
  assert.equal(r.status, 200, r.body)
  assert.match(JSON.parse(r.body).access_token, /^token-/)
}
function assertNotFound(r: Reply) {
  assert.equal(r.status, 400, r.body)
  assert.deepEqual(JSON.parse(r.body), IDENTITY_NOT_FOUND)
}

describe('reading cgroups', () => {
  const hybrid = '9:name=systemd:/system.slice/app.service\n4:memory:/x\n0::/\n'
  it('takes the v2 path and the unit it names', () => {
    assert.equal(cgroupOf('0::/system.slice/db.service\n'), '/system.slice/db.service')
    assert.equal(unitOf('/system.slice/db.service'), 'db.service')
    assert.equal(
      unitOf('/user.slice/user-1000.slice/user@1000.service/app.slice/a.service'),
      'a.service',
    )
    assert.equal(unitOf('/user.slice/user-1000.slice/session-2.scope'), 'session-2.scope')
    assert.equal(unitOf('/'), undefined)
  })
  it("falls back to systemd's v1 hierarchy on a hybrid system", () => {
    assert.equal(cgroupOf(hybrid), '/')
    assert.equal(unitOf(systemdCgroupOf(hybrid)), 'app.service')
  })
  it('refuses a connection whose process is unknown, and one held by a non-matching process', () => {
    const p = { uid: 0, gid: 0, sha256: () => undefined }
    assert.equal(refusalOf({ uid: [0] }, []), 'unknown-process')
    assert.equal(refusalOf({ uid: [0] }, [p, { ...p, uid: 1 }]), 'uid')
    assert.equal(refusalOf({ uid: [0] }, [p]), undefined)
  })
})

describe('process selectors on real processes', { skip }, () => {
  let agent: FakeAgent
  const { log, warnings } = warningsLogger()
  let audience = 0
  /** A run's IMDS URL for a fresh audience, whose token the fake server sends with `selectors`. */
  async function endpoint(selectors: ProcessSelectors, uid?: number) {
    const resource = `https://s${++audience}.example.com/`
    const a = await agent.control('POST', '/runs', {
      resourceId: VM,
      protocol: 'imds',
      ...(uid === undefined ? {} : { uid }),
    })
    assert.equal(a.status, 201, a.text)
    const base = a.json().env.AZURE_POD_IDENTITY_AUTHORITY_HOST as string
    const prior = agent.source.selectors
    agent.source.selectors = (r) => (r.resource === resource ? selectors : prior?.(r))
    return `${base}${PATH}?api-version=2018-02-01&resource=${encodeURIComponent(resource)}`
  }
  const imds = { Metadata: 'true' }

  before(async () => {
    // The fake clock stands still: the per-identity rate limit would never refill.
    agent = await startFakeAgent({ log, rateLimits: { perSecond: 1e6, concurrent: 100 } })
  })
  after(async () => agent?.close())

  it('uid: a process of another uid is refused as if unattached, the listed uid served', async () => {
    const url = await endpoint({ uid: [NOBODY] }, NOBODY)
    assertToken((await requestAs(NOBODY, url, imds))[0]!)
    const root = await endpoint({ uid: [NOBODY] })
    assertNotFound((await requestAs(undefined, root, imds))[0]!)
    const line = warnings.at(-1)!
    assert.equal(line.msg, 'identity request refused: process does not match the selectors')
    assert.equal(line.refusal, 'uid')
    assert.equal(line.uid, 0)
    assert.equal(line.resourceId, VM)
  })

  it('the refusal is the same body as a token service "Identity not found"', async () => {
    const url = await endpoint({ uid: [0] }, NOBODY)
    const [refused] = await requestAs(NOBODY, url, imds)
    assertNotFound(refused!)
    const unknown = `${url.split('?')[0]}?api-version=2018-02-01&resource=${encodeURIComponent(ARM)}&client_id=99999999-0000-4000-8000-000000000009`
    const [unattached] = await requestAs(NOBODY, unknown, imds)
    assert.equal(unattached!.status, refused!.status)
    assert.equal(unattached!.body, refused!.body)
  })

  it('gid: the effective gid is compared', async () => {
    const url = await endpoint({ gid: [NOBODY] }, NOBODY)
    assertToken((await requestAs(NOBODY, url, imds))[0]!)
    const other = await endpoint({ gid: [0] }, NOBODY)
    assertNotFound((await requestAs(NOBODY, other, imds))[0]!)
  })

  it('exe and sha256: the running executable, by path and by hash', async () => {
    assertToken((await requestAs(undefined, await endpoint({ exe: [NODE] }), imds))[0]!)
    assertToken((await requestAs(undefined, await endpoint({ sha256: [NODE_SHA] }), imds))[0]!)
    const url = await endpoint({ exe: ['/usr/bin/python3'] })
    assertNotFound((await requestAs(undefined, url, imds))[0]!)
    assert.equal(warnings.at(-1)!.refusal, 'exe')
    assert.equal(warnings.at(-1)!.exe, NODE)
    const hash = await endpoint({ sha256: ['0'.repeat(64)] })
    assertNotFound((await requestAs(undefined, hash, imds))[0]!)
    assert.equal(warnings.at(-1)!.refusal, 'sha256')
  })

  it('hashes each executable once, whatever the number of processes running it', () => {
    const facts = createProcessFacts()
    const a = facts.read(process.pid)!
    const b = facts.read(process.pid)!
    assert.equal(a.sha256(), NODE_SHA)
    assert.equal(b.sha256(), NODE_SHA)
    assert.equal(a.exe, NODE)
  })

  it('a cached token is still refused to a non-matching process, and served to a matching one', async () => {
    const url = await endpoint({ uid: [NOBODY] }, NOBODY)
    assertToken((await requestAs(NOBODY, url, imds))[0]!)
    const before = agent.source.requests.length
    const replies = await requestAs(NOBODY, url, imds, 3)
    for (const r of replies) assertToken(r)
    const refused = await endpoint({ uid: [0] }, NOBODY)
    for (const r of await requestAs(NOBODY, refused, imds, 3)) assertNotFound(r)
    assert.equal(agent.source.requests.length, before + 1, 'one fetch for the second audience')
  })

  it('logs a refusal once per connection, however many requests it makes', async () => {
    const url = await endpoint({ uid: [0] }, NOBODY)
    const count = () => warnings.filter((w) => w.refusal === 'uid').length
    const before = count()
    // Keep-alive: five requests on one connection.
    const script = `const http=require('node:http');const agent=new http.Agent({keepAlive:true,maxSockets:1});
let n=0;const one=()=>http.get(process.argv[1],{headers:{Metadata:'true'},agent},(r)=>{r.resume();r.on('end',()=>{if(++n<5)one();else process.exit(0)})});one()`
    // Not spawnSync: the agent answering it runs in this process.
    const child = spawn(process.execPath, ['-e', script, url], { uid: NOBODY, gid: NOBODY })
    const [code] = (await once(child, 'exit')) as [number]
    assert.equal(code, 0)
    assert.equal(count(), before + 1)
  })

  describe('in another cgroup', () => {
    const name = `klselectors-${process.pid}`
    const v2 = join('/sys/fs/cgroup/unified', name)
    const v1 = join('/sys/fs/cgroup/systemd', `${name}.service`)
    const canMove = existsSync('/sys/fs/cgroup/unified/cgroup.procs')
    let workload: ReturnType<typeof startWorkload> | undefined
    before(() => {
      if (!canMove) return
      mkdirSync(v2, { recursive: true })
      if (existsSync('/sys/fs/cgroup/systemd')) mkdirSync(v1, { recursive: true })
      workload = startWorkload()
      writeFileSync(join(v2, 'cgroup.procs'), String(workload.pid))
      if (existsSync(v1)) writeFileSync(join(v1, 'cgroup.procs'), String(workload.pid))
    })
    after(async () => {
      workload?.stop()
      await new Promise((r) => setTimeout(r, 200))
      for (const dir of [v2, v1]) if (existsSync(dir)) rmdirSync(dir)
    })
    const cgroupSkip = canMove ? false : 'no writable cgroup v2 hierarchy at /sys/fs/cgroup/unified'

    it('cgroup: a prefix admits the processes under it only', { skip: cgroupSkip }, async () => {
      const url = await endpoint({ cgroup: [`/${name}`] })
      assertToken((await workload!.request(url, imds, 'self'))[0]!)
      // Its child inherits the cgroup.
      assertToken((await workload!.request(url, imds, 'child'))[0]!)
      // This test process is at the root cgroup.
      assertNotFound((await requestAs(undefined, url, imds))[0]!)
      assert.equal(warnings.at(-1)!.refusal, 'cgroup')
      const narrow = await endpoint({ cgroup: [`/${name}/inner`] })
      assertNotFound((await workload!.request(narrow, imds, 'self'))[0]!)
    })

    it('unit: the systemd unit its cgroup names', { skip: cgroupSkip }, async () => {
      const url = await endpoint({ unit: [`${name}.service`], uid: [0] })
      assertToken((await workload!.request(url, imds, 'self'))[0]!)
      assertNotFound((await requestAs(undefined, url, imds))[0]!)
      assert.equal(warnings.at(-1)!.refusal, 'unit')
    })
  })
})
