// Runs bound to their callers (issue 19.1, 19.8), from the attacker's side: real processes under
// another uid (nobody) call a run's endpoint with everything a workload sends, and get Azure's
// "Identity not found"; the run's own uid, process tree, and expiry are honoured.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ARM, PATH, VM, startFakeAgent, type FakeAgent } from './test-agent.js'
import { warningsLogger } from './test-fakes.js'
import { NOBODY, requestAs, startWorkload, type Reply } from './test-peer.js'

const isRoot = process.getuid?.() === 0
const skip = isRoot ? false : 'needs root to start processes under another uid (CI runs as root)'

const IDENTITY_NOT_FOUND = { error: 'invalid_request', error_description: 'Identity not found' }
const imdsUrl = (base: string, version = '2018-02-01') =>
  `${base}${PATH}?api-version=${version}&resource=${encodeURIComponent(ARM)}`

function assertToken(r: Reply) {
  assert.equal(r.status, 200, r.body)
  assert.match(JSON.parse(r.body).access_token, /^token-/)
}
function assertNotFound(r: Reply) {
  assert.equal(r.status, 400, r.body)
  assert.deepEqual(JSON.parse(r.body), IDENTITY_NOT_FOUND)
}

describe('runs bound to their callers', { skip }, () => {
  let agent: FakeAgent
  const { log, warnings } = warningsLogger()
  before(async () => {
    agent = await startFakeAgent({ log })
  })
  after(async () => agent?.close())
  const run = async (body: Record<string, unknown>) => {
    const a = await agent.control('POST', '/runs', { resourceId: VM, ...body })
    assert.equal(a.status, 201, a.text)
    return a.json() as { id: string; env: Record<string, string>; uid: number; expiresAt?: number }
  }

  it('IMDS: another uid gets "Identity not found" and a log line; the run\'s uid a token', async () => {
    const { env, uid } = await run({ protocol: 'imds' })
    assert.equal(uid, 0)
    const url = imdsUrl(env.AZURE_POD_IDENTITY_AUTHORITY_HOST!)
    const before = agent.source.requests.length
    const [refused] = await requestAs(NOBODY, url, { Metadata: 'true' })
    assertNotFound(refused!)
    assert.equal(agent.source.requests.length, before, 'no token was requested for the attacker')
    const line = warnings.at(-1)!
    assert.equal(line.msg, 'identity request refused: caller not bound to the run')
    assert.equal(line.refusal, 'other-uid')
    assert.equal(line.peerUid, NOBODY)
    assertToken((await requestAs(undefined, url, { Metadata: 'true' }))[0]!)
  })

  it('App Service: another uid that learned the header is refused too', async () => {
    const { env } = await run({ protocol: 'appservice' })
    const url = `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(ARM)}`
    const headers = { 'X-IDENTITY-HEADER': env.IDENTITY_HEADER! }
    assertNotFound((await requestAs(NOBODY, url, headers))[0]!)
    assertToken((await requestAs(undefined, url, headers))[0]!)
  })

  it('App Service 2017: another uid that learned MSI_SECRET is refused too', async () => {
    const { env } = await run({ protocol: 'appservice' })
    const url = `${env.MSI_ENDPOINT}?api-version=2017-09-01&resource=${encodeURIComponent(ARM)}`
    const headers = { secret: env.MSI_SECRET! }
    assertNotFound((await requestAs(NOBODY, url, headers))[0]!)
    assertToken((await requestAs(undefined, url, headers))[0]!)
  })

  it('Arc: another uid is refused before any key file is written', async () => {
    const { env } = await run({ protocol: 'arc' })
    const url = imdsUrl(env.IMDS_ENDPOINT!, '2020-06-01')
    const dir = join(agent.dir, 'tokens')
    const files = () => readdirSync(dir).length
    const [challenge] = await requestAs(undefined, url, { Metadata: 'true' })
    assert.equal(challenge!.status, 401)
    const before = files()
    const replies = await requestAs(NOBODY, url, { Metadata: 'true' }, 5)
    for (const r of replies) assertNotFound(r)
    assert.equal(files(), before)
  })

  it('a run registered for another uid serves that uid only', async () => {
    const { env, uid } = await run({ protocol: 'imds', uid: NOBODY })
    assert.equal(uid, NOBODY)
    const url = imdsUrl(env.AZURE_POD_IDENTITY_AUTHORITY_HOST!)
    assertToken((await requestAs(NOBODY, url, { Metadata: 'true' }))[0]!)
    assertNotFound((await requestAs(undefined, url, { Metadata: 'true' }))[0]!)
  })

  it('a run bound to a process tree serves it and its children, not a same-uid outsider', async () => {
    const workload = startWorkload()
    try {
      const { env } = await run({ protocol: 'imds', pid: workload.pid })
      const url = imdsUrl(env.AZURE_POD_IDENTITY_AUTHORITY_HOST!)
      assertToken((await workload.request(url, { Metadata: 'true' }, 'self'))[0]!)
      assertToken((await workload.request(url, { Metadata: 'true' }, 'child'))[0]!)
      // This test process has the same uid but is the workload's parent, not in its tree.
      assertNotFound((await requestAs(undefined, url, { Metadata: 'true' }))[0]!)
      assert.equal(warnings.at(-1)!.refusal, 'outside-tree')
    } finally {
      workload.stop()
    }
  })

  it('refuses to bind a run to a process that is not running', async () => {
    const a = await agent.control('POST', '/runs', {
      resourceId: VM,
      protocol: 'imds',
      pid: 2 ** 30,
    })
    assert.equal(a.status, 400)
    assert.match(a.json().error.message, /not a running process/)
  })

  it('an expiring run answers until its time, then nobody, and is then removed', async () => {
    const { id, env, expiresAt } = await run({ protocol: 'imds', ttlSeconds: 60 })
    assert.equal(expiresAt, agent.clock.now() + 60_000)
    const url = imdsUrl(env.AZURE_POD_IDENTITY_AUTHORITY_HOST!)
    assertToken((await requestAs(undefined, url, { Metadata: 'true' }))[0]!)
    agent.clock.advance(60_000)
    assertNotFound((await requestAs(undefined, url, { Metadata: 'true' }))[0]!)
    assert.equal(warnings.at(-1)!.refusal, 'expired')
    assert.equal(await agent.serving.runs.prune(), 1)
    const listed = (await agent.control('GET', '/runs')).json().value as Array<{ id: string }>
    assert.equal(
      listed.some((r) => r.id === id),
      false,
    )
  })
})

describe('Arc challenge keys capped per caller', { skip }, () => {
  let agent: FakeAgent
  before(async () => {
    agent = await startFakeAgent()
  })
  after(async () => agent?.close())

  it('one uid flooding its own Arc run gets 429 after 16 keys; another uid still gets a key', async () => {
    const create = async (uid: number) => {
      const a = await agent.control('POST', '/runs', { resourceId: VM, protocol: 'arc', uid })
      assert.equal(a.status, 201, a.text)
      return imdsUrl(a.json().env.IMDS_ENDPOINT, '2020-06-01')
    }
    const attackerUrl = await create(NOBODY)
    const victimUrl = await create(0)
    // More than the 256 keys outstanding at most: before the per-caller cap, this took them all.
    const replies = await requestAs(NOBODY, attackerUrl, { Metadata: 'true' }, 300)
    const statuses = replies.map((r) => r.status)
    assert.deepEqual(statuses.slice(0, 16), new Array(16).fill(401))
    assert.deepEqual(statuses.slice(16), new Array(284).fill(429))
    assert.equal(JSON.parse(replies.at(-1)!.body).error, 'too_many_requests')
    const [victim] = await requestAs(undefined, victimUrl, { Metadata: 'true' })
    assert.equal(victim!.status, 401, victim!.body)
  })
})
