// The stock Python `azure-storage-queue` client (Debian's python3-azure) against the Keyless
// queue endpoint: a sender with Message Sender puts, a worker with Message Processor receives
// and deletes, neither can do the other's part, and Azure's error codes reach the client's
// HttpResponseError. Skips, saying so, where the Python package is not installed.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { QUEUE_ROLES, startQueueEnv, type QueueEnv } from './queue.config.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dirname, '../../../../test/e2e/queue/fixtures/queue_client.py')
const probe = spawnSync(PYTHON, ['-c', 'import azure.storage.queue, azure.core'], {
  encoding: 'utf8',
})
const missing =
  probe.status === 0
    ? false
    : 'the Python azure-storage-queue client is not installed (apt-get install python3-azure)'
const DENIED = [403, 'AuthorizationPermissionMismatch']

describe('storage queues with the Python client', { skip: missing }, () => {
  let env: QueueEnv
  let dir: string

  before(async () => {
    env = await startQueueEnv()
    dir = mkdtempSync(join(tmpdir(), 'keyless-py-'))
  })
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    await env?.dispose()
  })

  it('lets a Python sender put and a Python worker take, and neither do the other part', async () => {
    const account = await env.createAccount()
    const tokens: Record<string, string> = {}
    const roles = {
      admin: QUEUE_ROLES.contributor,
      sender: QUEUE_ROLES.sender,
      worker: QUEUE_ROLES.processor,
    }
    for (const [who, role] of Object.entries(roles)) {
      const vm = await env.createVm(`vm-py-${who}`)
      await env.assign(vm.principalId, role, account.id)
      tokens[who] = await env.token(vm.id)
    }
    await sleep(1000)
    const ca = join(dir, 'ca.pem')
    writeFileSync(ca, env.k.ca)
    const run = spawnSync(PYTHON, [SCRIPT, env.queueUrl(account.name), ca], {
      input: JSON.stringify(tokens),
      encoding: 'utf8',
      timeout: 120_000,
    })
    assert.equal(run.status, 0, run.stderr)
    const out = JSON.parse(run.stdout)
    assert.deepEqual(out.listed, [{ name: 'py-orders', metadata: { Team: 'py' } }])
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
    assert.equal(out.count_after, 0)
    // Fastify lower-cases response header names (Azure keeps the casing; so does the listing).
    assert.deepEqual(out.metadata, { team: 'py' })
    assert.deepEqual(out.missing, [404, 'QueueNotFound'])
  })
})
