// The RBAC matrix over the wire: every built-in Storage Queue Data role (and a machine with
// none) against every queue and message operation, with each role's own token from the agent.
// Expected answers are Azure's, from the roles' permissions and the operations' required
// actions ([D-STAUTH]): Get Messages and Delete Message accept process/action, Put Message
// add/action or write, Update Message only write. A refusal is 403
// AuthorizationPermissionMismatch in Azure's XML, and changes nothing.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { https, type HttpResult } from '../../helpers/https.js'
import { QUEUE_ROLES, startQueueEnv, type QueueEnv } from './queue.config.js'

const VERSION = '2026-04-06'
const BODY = '<QueueMessage><MessageText>hello</MessageText></QueueMessage>'
type Role = keyof typeof QUEUE_ROLES | 'none'
type Op =
  | 'ListQueues'
  | 'CreateQueue'
  | 'DeleteQueue'
  | 'GetQueueMetadata'
  | 'SetQueueMetadata'
  | 'PutMessage'
  | 'PeekMessages'
  | 'GetMessages'
  | 'UpdateMessage'
  | 'DeleteMessage'
  | 'ClearMessages'

// Role → the operations it may run; every other operation is refused.
const ALLOWED: Record<Role, readonly Op[]> = {
  contributor: [
    'ListQueues',
    'CreateQueue',
    'DeleteQueue',
    'GetQueueMetadata',
    'SetQueueMetadata',
    'PutMessage',
    'PeekMessages',
    'GetMessages',
    'UpdateMessage',
    'DeleteMessage',
    'ClearMessages',
  ],
  reader: ['ListQueues', 'GetQueueMetadata', 'PeekMessages'],
  sender: ['PutMessage'],
  processor: ['PeekMessages', 'GetMessages', 'DeleteMessage'],
  none: [],
}

// In this order: each operation leaves the queue as the next one expects.
const OPS: readonly [Op, number][] = [
  ['ListQueues', 200],
  ['GetQueueMetadata', 200],
  ['SetQueueMetadata', 204],
  ['PutMessage', 201],
  ['PeekMessages', 200],
  ['GetMessages', 200],
  ['UpdateMessage', 204],
  ['DeleteMessage', 204],
  ['ClearMessages', 204],
  ['CreateQueue', 201],
  ['DeleteQueue', 204],
]

interface Claimed {
  id: string
  receipt: string
}

function claimed(xml: string): Claimed[] {
  return [
    ...xml.matchAll(/<MessageId>([^<]+)<\/MessageId>.*?<PopReceipt>([^<]+)<\/PopReceipt>/g),
  ].map((m) => ({ id: m[1] as string, receipt: m[2] as string }))
}

describe('storage queue RBAC: every built-in role against every operation', () => {
  let env: QueueEnv
  let account: { name: string; id: string }
  const tokens = {} as Record<Role, string>

  const call = (role: Role, method: string, path: string, body?: string): Promise<HttpResult> =>
    https(`${env.queueUrl(account.name)}${path}`, {
      method,
      headers: {
        'x-ms-version': VERSION,
        authorization: `Bearer ${tokens[role]}`,
        ...(body !== undefined && { 'content-type': 'application/xml' }),
      },
      body,
      ca: env.k.ca,
    })

  before(async () => {
    env = await startQueueEnv()
    account = await env.createAccount()
    for (const role of ['contributor', 'reader', 'sender', 'processor', 'none'] as Role[]) {
      const vm = await env.createVm(`vm-${role}`)
      if (role !== 'none') await env.assign(vm.principalId, QUEUE_ROLES[role], account.id)
      tokens[role] = await env.token(vm.id)
    }
    await sleep(1000)
  })
  after(async () => env?.dispose())

  for (const role of Object.keys(ALLOWED) as Role[]) {
    it(`grants ${role} exactly its operations`, async () => {
      const q = `rbac-${role}`
      // Prepared by the contributor: three messages, two of them taken (with their receipts).
      assert.equal((await call('contributor', 'PUT', `/${q}`)).status, 201)
      for (let i = 0; i < 3; i++) {
        assert.equal((await call('contributor', 'POST', `/${q}/messages`, BODY)).status, 201)
      }
      const taken = claimed(
        (await call('contributor', 'GET', `/${q}/messages?numofmessages=2&visibilitytimeout=600`))
          .text,
      )
      assert.equal(taken.length, 2)
      const [m1, m2] = taken as [Claimed, Claimed]
      const requests: Record<Op, () => Promise<HttpResult>> = {
        ListQueues: () => call(role, 'GET', '/?comp=list'),
        GetQueueMetadata: () => call(role, 'GET', `/${q}?comp=metadata`),
        SetQueueMetadata: () => call(role, 'PUT', `/${q}?comp=metadata`),
        PutMessage: () => call(role, 'POST', `/${q}/messages`, BODY),
        PeekMessages: () => call(role, 'GET', `/${q}/messages?peekonly=true`),
        GetMessages: () => call(role, 'GET', `/${q}/messages`),
        UpdateMessage: () =>
          call(
            role,
            'PUT',
            `/${q}/messages/${m1.id}?popreceipt=${encodeURIComponent(m1.receipt)}&visibilitytimeout=0`,
            BODY,
          ),
        DeleteMessage: () =>
          call(
            role,
            'DELETE',
            `/${q}/messages/${m2.id}?popreceipt=${encodeURIComponent(m2.receipt)}`,
          ),
        ClearMessages: () => call(role, 'DELETE', `/${q}/messages`),
        CreateQueue: () => call(role, 'PUT', `/${q}-new`),
        DeleteQueue: () => call(role, 'DELETE', `/${q}`),
      }
      const seen: Record<string, number> = {}
      const want: Record<string, number> = {}
      for (const [op, status] of OPS) {
        const res = await requests[op]()
        seen[op] = res.status
        want[op] = ALLOWED[role].includes(op) ? status : 403
        if (res.status === 403) {
          assert.equal(res.headers['x-ms-error-code'], 'AuthorizationPermissionMismatch')
          assert.match(res.text, /<Code>AuthorizationPermissionMismatch<\/Code>/)
        }
      }
      assert.deepEqual(seen, want)
      // Refusals changed nothing: the queue is there unless its deletion was allowed.
      const left = await call('contributor', 'GET', `/${q}?comp=metadata`)
      assert.equal(left.status, ALLOWED[role].includes('DeleteQueue') ? 404 : 200)
      if (role === 'none') assert.equal(left.headers['x-ms-approximate-messages-count'], '3')
    })
  }
})
