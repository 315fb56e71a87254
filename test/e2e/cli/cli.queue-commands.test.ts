// `keyless storage queue …` and `keyless storage message …` against a live `keyless up`, as
// `az storage queue|message --auth-mode login`: the operator refused messages without a Storage
// Queue Data role, as Azure refuses an Owner; every command once it has one; `--as` a sender and a worker
// web app, each allowed its own part only. Results are checked through the data plane.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { cliFor, fails, ok } from './cli.config.js'

let k: KeylessProcess
let cli: ReturnType<typeof cliFor>
let operatorAppId: string
const ACCOUNT = `cliq${randomBytes(3).toString('hex')}`
const DENIED = /AuthorizationPermissionMismatch|not authorized/

before(async () => {
  k = await startKeyless()
  cli = cliFor(k.dataDir)
  operatorAppId = JSON.parse(
    readFileSync(resolve(k.dataDir, k.endpoints.adminCredentialFile as string), 'utf8'),
  ).clientId
  ok(await cli('group', 'create', 'rg-q'))
  ok(await cli('storage', 'account', 'create', ACCOUNT, '-g', 'rg-q'))
})
after(async () => k?.dispose())

const accountId = () =>
  `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/rg-q/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`
const assign = async (assignee: string, role: string) =>
  ok(
    await cli(
      'role',
      'assignment',
      'create',
      '--assignee',
      assignee,
      '--role',
      role,
      '--scope',
      accountId(),
    ),
  )
const queue = (verb: string, ...args: string[]) =>
  cli('storage', 'queue', verb, '--account-name', ACCOUNT, ...args)
const message = (verb: string, q: string, ...args: string[]) =>
  cli('storage', 'message', verb, '--account-name', ACCOUNT, '-q', q, ...args)

describe('storage queue and message commands', () => {
  it('lets the operator manage queues but refuses it messages without a Storage Queue Data role', async () => {
    // As in Azure: queues/read|write|delete are Actions, which Owner holds; messages/* are
    // DataActions, which it does not.
    assert.equal(ok(await queue('create', '-n', 'early')).json().created, true)
    fails(await message('put', 'early', '--content', 'x'), 1, DENIED)
    fails(await message('peek', 'early'), 1, DENIED)
    ok(await queue('delete', '-n', 'early'))
  })

  it('creates, lists and deletes queues and puts, peeks, gets, deletes and clears messages', async () => {
    await assign(operatorAppId, 'Storage Queue Data Contributor')
    await sleep(1000)
    assert.deepEqual(
      ok(await queue('create', '-n', 'orders', '--metadata', 'team=shop', 'env=dev')).json(),
      {
        created: true,
        name: 'orders',
      },
    )
    // The same metadata again is 204: az reports it as not created.
    assert.equal(
      ok(await queue('create', '-n', 'orders', '--metadata', 'team=shop', 'env=dev')).json()
        .created,
      false,
    )
    fails(await queue('create', '-n', 'orders'), 1, /QueueAlreadyExists/)
    ok(await queue('create', '-n', 'other'))
    assert.deepEqual(ok(await queue('list', '--prefix', 'ord', '--include-metadata')).json(), [
      { name: 'orders', metadata: { env: 'dev', team: 'shop' } },
    ])
    assert.deepEqual(
      ok(await queue('list', '--query', '[].name', '-o', 'tsv')).stdout,
      'orders\nother\n',
    )
    fails(await queue('create', '-n', 'x', '--metadata', 'novalue'), 2, /not key=value/)

    const text = 'order <42> & "fragile"'
    const put = ok(await message('put', 'orders', '--content', text, '--time-to-live', '-1')).json()
    assert.match(put.id, /^[0-9a-f-]{36}$/)
    assert.equal(put.content, text)
    assert.match(put.expirationTime, /^9999-12-31T23:59:59/)
    ok(await message('put', 'orders', '--content', 'second'))
    ok(await message('put', 'orders', '--content', 'hidden', '--visibility-timeout', '3600'))

    const peeked = ok(await message('peek', 'orders', '--num-messages', '32')).json()
    assert.deepEqual(
      peeked.map((m: { content: string; dequeueCount: number }) => [m.content, m.dequeueCount]),
      [
        [text, 0],
        ['second', 0],
      ],
    )
    assert.equal(peeked[0].popReceipt, undefined, 'peek shows no pop receipt')

    const got = ok(
      await message('get', 'orders', '--num-messages', '2', '--visibility-timeout', '60'),
    ).json()
    assert.deepEqual(
      got.map((m: { content: string; dequeueCount: number }) => [m.content, m.dequeueCount]),
      [
        [text, 1],
        ['second', 1],
      ],
    )
    assert.ok(got.every((m: { popReceipt?: string }) => typeof m.popReceipt === 'string'))
    assert.deepEqual(ok(await message('peek', 'orders')).json(), [], 'taken messages are hidden')

    const del = (m: { id: string; popReceipt: string }) =>
      message('delete', 'orders', '--id', m.id, '--pop-receipt', m.popReceipt)
    assert.deepEqual(ok(await del(got[0])).json(), { deleted: true, id: got[0].id })
    fails(await del(got[0]), 3, /MessageNotFound/)
    fails(
      await message('get', 'orders', '--num-messages', '33'),
      1,
      /OutOfRangeQueryParameterValue/,
    )

    assert.deepEqual(ok(await message('clear', 'orders')).json(), {
      cleared: true,
      queue: 'orders',
    })
    const props = await message('peek', 'orders', '--num-messages', '32')
    assert.deepEqual(ok(props).json(), [])
    ok(await queue('delete', '-n', 'other'))
    fails(await queue('delete', '-n', 'other'), 3, /QueueNotFound/)
    fails(await message('peek', 'absent'), 3, /QueueNotFound/)
    assert.deepEqual(
      ok(await queue('list'))
        .json()
        .map((q: { name: string }) => q.name),
      ['orders'],
    )
  })

  it('lets a sender put and a worker take with --as, and neither do the other part', async () => {
    const app = (name: string) =>
      cli('webapp', 'create', name, '-g', 'rg-q', '--assign-identity').then((r) => ok(r).json())
    const sender = await app('q-sender')
    const worker = await app('q-worker')
    await assign(sender.identity.principalId, 'Storage Queue Data Message Sender')
    await assign(worker.identity.principalId, 'Storage Queue Data Message Processor')
    await sleep(1000)

    ok(await message('put', 'orders', '--content', 'from the sender', '--as', sender.id))
    fails(await message('get', 'orders', '--as', sender.id), 1, DENIED)
    fails(await message('peek', 'orders', '--as', sender.id), 1, DENIED)
    fails(await queue('create', '-n', 'sender-made', '--as', sender.id), 1, DENIED)

    fails(await message('put', 'orders', '--content', 'forged', '--as', worker.id), 1, DENIED)
    fails(await message('clear', 'orders', '--as', worker.id), 1, DENIED)
    const [taken] = ok(await message('get', 'orders', '--as', worker.id)).json()
    assert.equal(taken.content, 'from the sender')
    ok(
      await message(
        'delete',
        'orders',
        '--id',
        taken.id,
        '--pop-receipt',
        taken.popReceipt,
        '--as',
        worker.id,
      ),
    )
    assert.deepEqual(ok(await message('peek', 'orders', '--num-messages', '32')).json(), [])
    assert.deepEqual(ok(await cli('env', 'list')).json(), [], 'the runs behind --as are removed')
  })
})
