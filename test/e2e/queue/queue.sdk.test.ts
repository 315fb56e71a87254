// The real @azure/storage-queue clients with ManagedIdentityCredential, in child processes
// started by `keyless run --as <vm>`: a sender machine with Storage Queue Data Message Sender
// puts orders, a worker machine with Message Processor takes and deletes them, and neither can
// do the other's part; every queue and message operation through the SDK; and the endpoint
// published in ARM and endpoints.json.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { QUEUE_ROLES, byId, startQueueEnv, type OpResult, type QueueEnv } from './queue.config.js'

const DENIED = { ok: false, status: 403, code: 'AuthorizationPermissionMismatch' }

function pick(r: OpResult | undefined): Partial<OpResult> {
  assert.ok(r, 'missing result')
  return r.ok ? { ok: true, value: r.value } : { ok: false, status: r.status, code: r.code }
}

describe('storage queues with the stock SDK', () => {
  let env: QueueEnv
  let account: { name: string; id: string }
  const vms = { sender: '', worker: '', admin: '' }

  before(async () => {
    env = await startQueueEnv()
    account = await env.createAccount()
    const roles = {
      sender: QUEUE_ROLES.sender,
      worker: QUEUE_ROLES.processor,
      admin: QUEUE_ROLES.contributor,
    }
    for (const [who, role] of Object.entries(roles) as [keyof typeof vms, string][]) {
      const vm = await env.createVm(`vm-${who}`)
      vms[who] = vm.id
      await env.assign(vm.principalId, role, account.id)
    }
    // New grants reach the RBAC index within a second.
    await sleep(1000)
  })
  after(async () => env?.dispose())

  it('publishes the queue endpoint in ARM and endpoints.json', async () => {
    const res = await env.arm('GET', account.id)
    assert.equal(res.status, 200, res.text)
    const endpoints = res.json().properties.primaryEndpoints
    assert.equal(endpoints.queue, `${env.queueUrl(account.name)}/`)
    assert.match(env.queueEndpoint, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.notEqual(endpoints.queue, endpoints.blob)
  })

  it('lets a sender put orders and a worker take and delete them, and neither do the other part', async () => {
    const setup = await env.runQueue(vms.admin, account.name, [
      { op: 'createQueue', queue: 'orders' },
    ])
    assert.deepEqual(pick(setup[0]), { ok: true, value: 201 })

    const sent = byId(
      await env.runQueue(vms.sender, account.name, [
        { id: 'send1', op: 'send', queue: 'orders', text: 'order-1' },
        { id: 'send2', op: 'send', queue: 'orders', text: 'order-2' },
        { id: 'send3', op: 'send', queue: 'orders', text: '{"id":3,"note":"<fragile> & boxed"}' },
        { id: 'receive', op: 'receive', queue: 'orders' },
        { id: 'peek', op: 'peek', queue: 'orders' },
        { id: 'clear', op: 'clear', queue: 'orders' },
        { id: 'create', op: 'createQueue', queue: 'other' },
        { id: 'props', op: 'getProperties', queue: 'orders' },
      ]),
    )
    for (const id of ['send1', 'send2', 'send3']) {
      assert.equal(sent[id]?.ok, true, JSON.stringify(sent[id]))
      assert.equal(sent[id]?.value.status, 201)
      assert.equal(sent[id]?.value.hasId, true)
    }
    for (const id of ['receive', 'peek', 'clear', 'create', 'props']) {
      assert.deepEqual(pick(sent[id]), DENIED, id)
    }

    const worked = byId(
      await env.runQueue(vms.worker, account.name, [
        { id: 'send', op: 'send', queue: 'orders', text: 'forged' },
        { id: 'update', op: 'update', queue: 'orders', id_: 'x', receipt: 'x', text: 'y' },
        { id: 'peek', op: 'peek', queue: 'orders', count: 32 },
        { id: 'take', op: 'receive', queue: 'orders', count: 32, save: 'm' },
        { id: 'del0', op: 'deleteMessage', queue: 'orders', id_: '$m0.id', receipt: '$m0.receipt' },
        { id: 'del1', op: 'deleteMessage', queue: 'orders', id_: '$m1.id', receipt: '$m1.receipt' },
        { id: 'del2', op: 'deleteMessage', queue: 'orders', id_: '$m2.id', receipt: '$m2.receipt' },
        { id: 'empty', op: 'receive', queue: 'orders', count: 32 },
        { id: 'clear', op: 'clear', queue: 'orders' },
      ]),
    )
    assert.deepEqual(pick(worked.send), DENIED)
    assert.deepEqual(pick(worked.update), DENIED)
    assert.deepEqual(pick(worked.clear), DENIED)
    assert.equal(worked.peek?.value.length, 3)
    assert.deepEqual(worked.take?.value, [
      { text: 'order-1', dequeueCount: 1 },
      { text: 'order-2', dequeueCount: 1 },
      { text: '{"id":3,"note":"<fragile> & boxed"}', dequeueCount: 1 },
    ])
    for (const id of ['del0', 'del1', 'del2'])
      assert.deepEqual(pick(worked[id]), { ok: true, value: 204 })
    assert.deepEqual(pick(worked.empty), { ok: true, value: [] })

    const [count] = await env.runQueue(vms.admin, account.name, [
      { op: 'getProperties', queue: 'orders' },
    ])
    assert.deepEqual(pick(count), { ok: true, value: { metadata: {}, count: 0 } })
  })

  it('serves every queue and message operation to a Storage Queue Data Contributor', async () => {
    const q = { queue: 'every-op' }
    const r = byId(
      await env.runQueue(vms.admin, account.name, [
        { id: 'create', op: 'createQueue', ...q, metadata: { Team: 'blue' } },
        { id: 'createSame', op: 'createQueue', ...q, metadata: { team: 'blue' } },
        { id: 'createOther', op: 'createQueue', ...q, metadata: { Team: 'red' } },
        { id: 'ifNotExists', op: 'createIfNotExists', ...q },
        { id: 'exists', op: 'exists', ...q },
        { id: 'setMeta', op: 'setMetadata', ...q, metadata: { Team: 'red', Env: 'dev' } },
        { id: 'create2', op: 'createQueue', queue: 'every-op-2' },
        { id: 'create3', op: 'createQueue', queue: 'every-op-3' },
        { id: 'list', op: 'listQueues', prefix: 'every-op', includeMetadata: true, pageSize: 2 },
        { id: 'sendHidden', op: 'send', ...q, text: 'later', visibilityTimeout: 3600 },
        { id: 'sendForever', op: 'send', ...q, text: 'forever', ttl: -1, save: 'f' },
        { id: 'sendEmpty', op: 'send', ...q, text: '' },
        { id: 'props', op: 'getProperties', ...q },
        { id: 'peek', op: 'peek', ...q, count: 32 },
        { id: 'take', op: 'receive', ...q, count: 1, visibilityTimeout: 600, save: 't' },
        {
          id: 'update',
          op: 'update',
          ...q,
          id_: '$t0.id',
          receipt: '$t0.receipt',
          text: 'rewritten',
          visibilityTimeout: 0,
          save: 'u',
        },
        { id: 'staleDelete', op: 'deleteMessage', ...q, id_: '$t0.id', receipt: '$t0.receipt' },
        { id: 'peek2', op: 'peek', ...q, count: 32 },
        { id: 'delete', op: 'deleteMessage', ...q, id_: '$t0.id', receipt: '$u.receipt' },
        { id: 'deleteAgain', op: 'deleteMessage', ...q, id_: '$t0.id', receipt: '$u.receipt' },
        { id: 'clear', op: 'clear', ...q },
        { id: 'props2', op: 'getProperties', ...q },
        { id: 'deleteQueue', op: 'deleteQueue', ...q },
        { id: 'gone', op: 'exists', ...q },
        { id: 'sendGone', op: 'send', ...q, text: 'x' },
      ]),
    )
    assert.deepEqual(pick(r.create), { ok: true, value: 201 })
    assert.deepEqual(pick(r.createSame), { ok: true, value: 204 })
    assert.deepEqual(pick(r.createOther), { ok: false, status: 409, code: 'QueueAlreadyExists' })
    assert.deepEqual(pick(r.ifNotExists), { ok: true, value: false })
    assert.deepEqual(pick(r.exists), { ok: true, value: true })
    assert.deepEqual(pick(r.setMeta), { ok: true, value: 204 })
    assert.deepEqual(pick(r.list), {
      ok: true,
      value: {
        names: [
          { name: 'every-op', metadata: { Team: 'red', Env: 'dev' } },
          // Azure's empty `<Metadata />`, which the SDK reads as ''.
          { name: 'every-op-2', metadata: '' },
          { name: 'every-op-3', metadata: '' },
        ],
        pages: 2,
      },
    })
    assert.equal(r.sendHidden?.value.visibleIn, 3600)
    assert.equal(r.sendForever?.value.expiresOn, '9999-12-31T23:59:59.000Z')
    assert.equal(r.sendEmpty?.ok, true, JSON.stringify(r.sendEmpty))
    assert.deepEqual(pick(r.props), {
      ok: true,
      value: { metadata: { team: 'red', env: 'dev' }, count: 3 },
    })
    assert.deepEqual(pick(r.peek), {
      ok: true,
      value: [
        { text: 'forever', dequeueCount: 0 },
        { text: '', dequeueCount: 0 },
      ],
    })
    assert.deepEqual(pick(r.take), { ok: true, value: [{ text: 'forever', dequeueCount: 1 }] })
    assert.deepEqual(pick(r.update), { ok: true, value: { status: 204, hasReceipt: true } })
    assert.deepEqual(pick(r.staleDelete), { ok: false, status: 400, code: 'PopReceiptMismatch' })
    assert.deepEqual(pick(r.peek2), {
      ok: true,
      value: [
        { text: '', dequeueCount: 0 },
        { text: 'rewritten', dequeueCount: 1 },
      ],
    })
    assert.deepEqual(pick(r.delete), { ok: true, value: 204 })
    assert.deepEqual(pick(r.deleteAgain), { ok: false, status: 404, code: 'MessageNotFound' })
    assert.deepEqual(pick(r.clear), { ok: true, value: 204 })
    assert.deepEqual(pick(r.props2), {
      ok: true,
      value: { metadata: { team: 'red', env: 'dev' }, count: 0 },
    })
    assert.deepEqual(pick(r.deleteQueue), { ok: true, value: 204 })
    assert.deepEqual(pick(r.gone), { ok: true, value: false })
    assert.deepEqual(pick(r.sendGone), { ok: false, status: 404, code: 'QueueNotFound' })
  })
})
