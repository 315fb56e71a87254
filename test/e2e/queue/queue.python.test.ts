// The stock Python `azure-storage-queue` client (Debian's python3-azure) against the Keyless
// queue endpoint, each part a program started by `keyless run --as <vm>` that finds its identity
// with azure-identity's DefaultAzureCredential: a sender with Message Sender puts, a worker with
// Message Processor receives and deletes, neither can do the other's part, and Azure's error
// codes reach the client's HttpResponseError. Skips, saying so, where the Python packages are
// not installed.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { runAs } from '../blob/blob.config.js'
import { QUEUE_ROLES, startQueueEnv, type QueueEnv } from './queue.config.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dirname, '../../../../test/e2e/queue/fixtures/queue_client.py')
const probe = spawnSync(PYTHON, ['-c', 'import azure.storage.queue, azure.identity'], {
  encoding: 'utf8',
})
const missing =
  probe.status === 0
    ? false
    : 'the Python azure-storage-queue and azure-identity clients are not installed (apt-get install python3-azure)'
const DENIED = [403, 'AuthorizationPermissionMismatch']

describe('storage queues with the Python client', { skip: missing }, () => {
  let env: QueueEnv

  before(async () => {
    env = await startQueueEnv()
  })
  after(async () => env?.dispose())

  it('lets a Python sender put and a Python worker take under keyless run, and neither do the other part', async () => {
    const account = await env.createAccount()
    const vms: Record<string, string> = {}
    const roles = {
      admin: QUEUE_ROLES.contributor,
      sender: QUEUE_ROLES.sender,
      worker: QUEUE_ROLES.processor,
    }
    for (const [who, role] of Object.entries(roles)) {
      const vm = await env.createVm(`vm-py-${who}`)
      await env.assign(vm.principalId, role, account.id)
      vms[who] = vm.id
    }
    await sleep(1000)
    /** The fixture's `part` as the machine `who`, started by `keyless run --as`. */
    const run = async (who: string, part: string) => {
      const r = await runAs(
        env.k,
        vms[who]!,
        [SCRIPT, part, env.queueUrl(account.name)],
        undefined,
        PYTHON,
      ).done
      assert.equal(r.code, 0, `${part}: ${r.stderr}`)
      return JSON.parse(r.stdout.trim().split('\n').pop()!)
    }
    const setup = await run('admin', 'setup')
    assert.deepEqual(setup.listed, [{ name: 'py-orders', metadata: { Team: 'py' } }])
    const out = { ...(await run('sender', 'sender')), ...(await run('worker', 'worker')) }
    assert.equal(out.sent, 3)
    assert.match(out.forever_expires, /^9999-12-31T23:59:59/)
    assert.deepEqual(out.sender_receive, DENIED)
    assert.deepEqual(out.sender_peek, DENIED)
    assert.deepEqual(out.sender_clear, DENIED)
    assert.deepEqual(out.worker_send, DENIED)
    assert.deepEqual(out.peeked, ['order-0', 'order-1', 'order-2', 'kept'])
    assert.deepEqual(out.received, [
      ['order-0', 1],
      ['order-1', 1],
      ['order-2', 1],
      ['kept', 1],
    ])
    assert.deepEqual(out.worker_update, DENIED)
    assert.deepEqual(out.stale_delete, [404, 'MessageNotFound'])
    assert.deepEqual(out.sender_create, DENIED)
    assert.deepEqual(out.worker_delete_queue, DENIED)
    const check = await run('admin', 'check')
    assert.equal(check.count_after, 0)
    // Fastify lower-cases response header names (Azure keeps the casing; so does the listing).
    assert.deepEqual(check.metadata, { team: 'py' })
    assert.deepEqual(check.missing, [404, 'QueueNotFound'])
  })
})
