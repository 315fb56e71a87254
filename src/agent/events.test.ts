import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createEventFollower, type AgentEvent } from './events.js'
import { createHttpsClient } from './https-client.js'
import { silentLogger } from './respond.js'
import { fakeHttpsServer } from './test-fakes.js'

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time')
    await sleep(5)
  }
}

describe('change stream follower', () => {
  let server: Awaited<ReturnType<typeof fakeHttpsServer>>
  let http: ReturnType<typeof createHttpsClient>
  const connections: { lastEventId?: string; authorization?: string; res: ServerResponse }[] = []
  let refuse = false

  before(async () => {
    server = await fakeHttpsServer((req, res) => {
      if (refuse) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{}')
        connections.push({ res })
        return
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(': connected\n\n')
      connections.push({
        lastEventId: req.headers['last-event-id'] as string | undefined,
        authorization: req.headers.authorization,
        res,
      })
    })
    http = createHttpsClient({ caPem: server.ca })
  })
  after(async () => {
    http.close()
    await server.close()
  })

  it('delivers events, reconnects after the server drops it, and resumes after the last id', async () => {
    connections.length = 0
    const events: AgentEvent[] = []
    const connects: { resumed: boolean; first: boolean }[] = []
    const audiences: string[] = []
    const follower = createEventFollower({
      url: () => `${server.origin}/keyless/v1/events`,
      http,
      assertion: async (aud) => {
        audiences.push(aud)
        return `assertion-${audiences.length}`
      },
      onEvent: (e) => events.push(e),
      onConnect: (info) => connects.push(info),
      log: silentLogger,
      initialDelayMs: 10,
    })
    follower.start()
    await until(() => connections.length === 1)
    assert.equal(connections[0]!.lastEventId, undefined)
    assert.equal(connections[0]!.authorization, 'Bearer assertion-1')
    connections[0]!.res.write(
      'id: 41\nevent: identity.detached\ndata: {"subject":"/subscriptions/s/vm"}\n\n',
    )
    connections[0]!.res.write(
      'id: 42\nevent: principal.deleted\ndata: {"subject":"oid-1","at":1}\n\n',
    )
    await until(() => events.length === 2)
    assert.deepEqual(
      events.map((e) => [e.id, e.kind, e.subject]),
      [
        ['41', 'identity.detached', '/subscriptions/s/vm'],
        ['42', 'principal.deleted', 'oid-1'],
      ],
    )
    assert.equal(follower.connected, true)
    connections[0]!.res.end()
    await until(() => connections.length === 2)
    assert.equal(connections[1]!.lastEventId, '42')
    assert.equal(
      connections[1]!.authorization,
      'Bearer assertion-2',
      'a fresh assertion per connection',
    )
    assert.deepEqual(audiences, [
      `${server.origin}/keyless/v1/events`,
      `${server.origin}/keyless/v1/events`,
    ])
    connections[1]!.res.write('id: 43\nevent: host.revoked\ndata: {"subject":"host-1"}\n\n')
    await until(() => events.length === 3)
    assert.deepEqual(connects, [
      { resumed: false, first: true },
      { resumed: true, first: false },
    ])
    await follower.stop()
    assert.equal(follower.connected, false)
  })

  it('resumes from the position the server opened the stream at, before any event', async () => {
    // A host that has not been sent an event yet still knows where its stream began: after a
    // server restart it resumes (its cache is kept) instead of starting afresh.
    connections.length = 0
    const connects: { resumed: boolean; first: boolean }[] = []
    const follower = createEventFollower({
      url: () => `${server.origin}/keyless/v1/events`,
      http,
      assertion: async () => 'assertion',
      onEvent: () => undefined,
      onConnect: (info) => connects.push(info),
      log: silentLogger,
      initialDelayMs: 10,
    })
    follower.start()
    try {
      await until(() => connections.length === 1)
      connections[0]!.res.write('id: 77\n\n')
      await until(() => follower.lastId === '77')
      connections[0]!.res.end()
      await until(() => connections.length === 2)
      assert.equal(connections[1]!.lastEventId, '77')
      await until(() => connects.length === 2)
      assert.deepEqual(connects[1], { resumed: true, first: false })
    } finally {
      await follower.stop()
    }
  })

  it('backs off while the server refuses, and stops promptly', async () => {
    connections.length = 0
    refuse = true
    try {
      const follower = createEventFollower({
        url: () => `${server.origin}/keyless/v1/events`,
        http,
        assertion: async () => 'x',
        onEvent: () => assert.fail('no events expected'),
        log: silentLogger,
        initialDelayMs: 20,
        maxDelayMs: 80,
      })
      follower.start()
      await sleep(400)
      // 20, 40, 80, 80…: jittered to 50–100 %, a handful of attempts, not hundreds.
      assert.ok(
        connections.length >= 3 && connections.length <= 15,
        `${connections.length} attempts`,
      )
      const started = Date.now()
      await follower.stop()
      assert.ok(Date.now() - started < 200)
    } finally {
      refuse = false
    }
  })

  it('skips events whose data is not JSON', async () => {
    connections.length = 0
    const events: AgentEvent[] = []
    const follower = createEventFollower({
      url: () => `${server.origin}/keyless/v1/events`,
      http,
      assertion: async () => 'x',
      onEvent: (e) => events.push(e),
      log: silentLogger,
    })
    follower.start()
    await until(() => connections.length === 1)
    connections[0]!.res.write('id: 1\nevent: resource.deleted\ndata: not json\n\n')
    connections[0]!.res.write('id: 2\nevent: resource.deleted\ndata: {"subject":"/r"}\n\n')
    await until(() => events.length === 1)
    assert.equal(events[0]!.subject, '/r')
    assert.equal(follower.lastId, '2')
    await follower.stop()
  })
})
