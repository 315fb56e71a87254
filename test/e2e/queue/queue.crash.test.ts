// Durability: `keyless up`, which serves the Queue endpoint, is killed (SIGKILL) right after a
// 201 while writers keep putting messages, then restarted on the same data directory. Every
// message acknowledged with 201 must be there afterwards (requests cut off by the kill may or
// may not be: at least once), and messages hidden by Get Messages before the crash stay hidden
// until their visibility timeout ends, as absolute time, then come back with their dequeue count.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { https } from '../../helpers/https.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { QUEUE_ROLES, queueEndpointOf, startQueueEnv, type QueueEnv } from './queue.config.js'

const VERSION = '2026-04-06'
const HIDE_SECONDS = 20
const ids = (xml: string) => [...xml.matchAll(/<MessageId>([^<]+)<\/MessageId>/g)].map((m) => m[1]!)

describe('queue durability across a crash', () => {
  let env: QueueEnv
  let restarted: KeylessProcess | undefined

  before(async () => {
    env = await startQueueEnv()
  })
  after(async () => {
    await restarted?.dispose()
    await env?.dispose()
  })

  it('keeps every acknowledged message and every visibility timeout through kill -9', async () => {
    const account = await env.createAccount()
    const vm = await env.createVm('vm-crash')
    await env.assign(vm.principalId, QUEUE_ROLES.contributor, account.id)
    const token = await env.token(vm.id)
    await sleep(1000)
    let endpoint = env.queueEndpoint
    let ca = env.k.ca
    const call = (method: string, path: string, body?: string) =>
      https(`${endpoint}/${account.name}${path}`, {
        method,
        headers: { 'x-ms-version': VERSION, authorization: `Bearer ${token}` },
        body,
        ca,
      })
    assert.equal((await call('PUT', '/crash')).status, 201)

    // Three messages taken before the crash: hidden for HIDE_SECONDS from the server's clock.
    for (const text of ['h1', 'h2', 'h3']) {
      const body = `<QueueMessage><MessageText>${text}</MessageText></QueueMessage>`
      assert.equal((await call('POST', '/crash/messages', body)).status, 201)
    }
    const taken = await call(
      'GET',
      `/crash/messages?numofmessages=3&visibilitytimeout=${HIDE_SECONDS}`,
    )
    const hidden = ids(taken.text)
    assert.equal(hidden.length, 3)
    const visibleAt = Date.parse(/<TimeNextVisible>([^<]+)/.exec(taken.text)![1]!)

    // Four writers; the server is killed the moment the 200th acknowledgement arrives.
    const acknowledged: string[] = []
    let killed = false
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const body = `<QueueMessage><MessageText>w${w}-${i}</MessageText></QueueMessage>`
        let res
        try {
          res = await call('POST', '/crash/messages', body)
        } catch {
          return // cut off by the kill: not acknowledged
        }
        if (res.status !== 201) return
        acknowledged.push(...ids(res.text))
        if (acknowledged.length >= 200 && !killed) {
          killed = true
          await env.k.stop('SIGKILL')
        }
      }
    }
    await Promise.all([0, 1, 2, 3].map(writer))
    assert.ok(acknowledged.length >= 200)

    restarted = await startKeyless({ dataDir: env.k.dataDir })
    endpoint = queueEndpointOf(restarted)
    ca = restarted.ca
    assert.equal(endpoint, env.queueEndpoint, 'the queue port is remembered')

    // Every visible message, taken for long enough that none comes back during the sweep.
    const seen = new Set<string>()
    for (;;) {
      const page = ids(
        (await call('GET', '/crash/messages?numofmessages=32&visibilitytimeout=600')).text,
      )
      if (page.length === 0) break
      for (const id of page) seen.add(id)
    }
    const lost = acknowledged.filter((id) => !seen.has(id))
    assert.deepEqual(
      lost,
      [],
      `${lost.length} of ${acknowledged.length} acknowledged messages lost`,
    )
    // Still hidden while their time has not come (checked only if the restart was quick enough).
    if (Date.now() < visibleAt - 1000) {
      for (const id of hidden) assert.ok(!seen.has(id), 'a hidden message came back early')
    }

    // Once their absolute time has passed, they are handed out again, a second dequeue.
    await sleep(Math.max(0, visibleAt - Date.now() + 1000))
    const again = await call('GET', '/crash/messages?numofmessages=32&visibilitytimeout=600')
    assert.deepEqual(ids(again.text).sort(), [...hidden].sort())
    assert.equal([...again.text.matchAll(/<DequeueCount>2<\/DequeueCount>/g)].length, 3)
  })
})
