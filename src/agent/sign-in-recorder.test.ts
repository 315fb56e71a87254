import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { describe, it } from 'node:test'
import type { AgentSignIn } from '../common/agent-protocol.js'
import { silentLogger } from './respond.js'
import { createSignInRecorder } from './sign-in-recorder.js'
import { TokenRequestError } from './token-source.js'

const peers = {
  isSupported: true,
  of: () => ({ uid: 7, inode: 99 }),
  holderOf: async () => ({ pid: 1234, exe: '/bin/app' }),
}
const answered = (n: number) => ({
  socket: {} as Socket,
  protocol: 'imds',
  startedAt: performance.now(),
  callerResourceId: `/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm${n}`,
  resource: 'https://vault.azure.net',
})

describe('agent sign-in recorder', () => {
  it('batches records with the caller process, cache use and refusal', async () => {
    const sent: AgentSignIn[][] = []
    const r = createSignInRecorder({
      send: async (b) => void sent.push(b),
      peers,
      now: () => Date.parse('2026-12-08T00:00:00Z'),
      log: silentLogger,
      flushMs: 60_000,
    })
    r.record({
      ...answered(1),
      isCacheHit: true,
      token: {
        accessToken: 'x',
        expiresOn: 0,
        clientId: 'c',
        objectId: 'o',
        msiResId: answered(1).callerResourceId,
      },
    })
    r.record({
      ...answered(2),
      error: new TokenRequestError(400, 'invalid_request', 'Identity not found', [9_800_001]),
    })
    await r.close()
    assert.equal(sent.length, 1)
    const [hit, refused] = sent[0]!
    assert.equal(hit?.isCacheHit, true)
    assert.deepEqual(hit?.process, { uid: 7, pid: 1234, exe: '/bin/app' })
    assert.equal(hit?.managedServiceIdentity?.msiType, 'systemAssigned')
    assert.deepEqual(hit?.status, { errorCode: 0 })
    assert.deepEqual(refused?.status, {
      errorCode: 9_800_001,
      failureReason: 'Identity not found',
      additionalDetails: 'invalid_request',
    })
    assert.equal(hit?.createdDateTime, '2026-12-08T00:00:00.000Z')
  })

  it('folds identical cache hits of one connection into one record with a requestCount', async () => {
    const sent: AgentSignIn[][] = []
    const r = createSignInRecorder({
      send: async (b) => void sent.push(b),
      peers,
      now: () => 0,
      log: silentLogger,
      flushMs: 60_000,
    })
    const socket = {} as Socket
    const other = {} as Socket
    const base = answered(1)
    const token = {
      accessToken: 'x',
      expiresOn: 0,
      clientId: 'c',
      objectId: 'o',
      msiResId: base.callerResourceId,
    }
    const hit = (s: Socket, resource = base.resource) => ({
      ...base,
      socket: s,
      resource,
      isCacheHit: true,
      token,
    })
    for (let i = 0; i < 5; i++) r.record(hit(socket))
    r.record(hit(other)) // another connection: its own record
    r.record(hit(socket, 'https://storage.azure.com')) // another audience: its own record
    r.record({ ...hit(socket), isCacheHit: false }) // a miss is never folded
    await r.flush()
    const first = sent.flat()
    assert.deepEqual(
      first.map((x) => [x.resourceId, x.isCacheHit, x.requestCount]),
      [
        ['https://vault.azure.net', true, 5],
        ['https://vault.azure.net', true, undefined],
        ['https://storage.azure.com', true, undefined],
        ['https://vault.azure.net', false, undefined],
      ],
    )
    assert.equal(r.stats.sent, 8, 'every request is counted')
    // Once sent, the next hit starts a new record.
    r.record(hit(socket))
    await r.close()
    assert.equal(sent.flat().length, 5)
    assert.equal(sent.flat()[4]!.requestCount, undefined)
  })

  it('keeps records while the server is down, dropping (and counting) the oldest beyond the bound', async () => {
    let up = false
    const sent: AgentSignIn[] = []
    const r = createSignInRecorder({
      send: async (b) => {
        if (!up) throw Object.assign(new Error('down'), { status: 0 })
        sent.push(...b)
      },
      peers,
      now: () => 0,
      log: silentLogger,
      flushMs: 60_000,
      maxQueued: 5,
      batchSize: 2,
    })
    for (let i = 0; i < 8; i++) r.record(answered(i))
    await r.flush()
    assert.equal(r.queued, 5)
    assert.equal(r.stats.dropped, 3)
    up = true
    await r.close()
    assert.deepEqual(
      sent.map((s) => s.callerResourceId?.slice(-3)),
      ['vm3', 'vm4', 'vm5', 'vm6', 'vm7'],
    )
  })

  it('drops only the records the server refuses, halving the batch to find them', async () => {
    const sent: AgentSignIn[] = []
    const r = createSignInRecorder({
      send: async (b) => {
        if (b.some((x) => x.callerResourceId?.endsWith('vm3')))
          throw Object.assign(new Error('403'), { status: 403 })
        sent.push(...b)
      },
      peers,
      now: () => 0,
      log: silentLogger,
      flushMs: 60_000,
    })
    for (let i = 0; i < 8; i++) r.record(answered(i))
    await r.close()
    assert.equal(sent.length, 7)
    assert.equal(r.stats.dropped, 1)
  })

  it('drops a batch the server refuses as bad (it would be refused again)', async () => {
    const r = createSignInRecorder({
      send: async () => {
        throw Object.assign(new Error('403'), { status: 403 })
      },
      peers,
      now: () => 0,
      log: silentLogger,
      flushMs: 60_000,
    })
    r.record(answered(1))
    await r.close()
    assert.equal(r.queued, 0)
    assert.equal(r.stats.dropped, 1)
  })
})
