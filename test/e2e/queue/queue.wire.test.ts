// Bad inputs on the wire, sent byte for byte: each is refused with Azure's status, error code
// and XML body, and leaves nothing behind (the queue's message count is unchanged). Also the
// answers the SDK never sends but Azure defines: message XML shapes, peek without receipts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { https, type HttpResult } from '../../helpers/https.js'
import { QUEUE_ROLES, startQueueEnv, type QueueEnv } from './queue.config.js'

const VERSION = '2026-04-06'
const ERROR_BODY =
  /^<\?xml version="1\.0" encoding="utf-8"\?><Error><Code>(\w+)<\/Code><Message>([^<]*)\nRequestId:[0-9a-f-]{36}\nTime:[0-9T:.-]+Z<\/Message>/
const message = (text: string) => `<QueueMessage><MessageText>${text}</MessageText></QueueMessage>`

function assertError(res: HttpResult, status: number, code: string, fields: string[] = []) {
  assert.equal(res.status, status, res.text)
  assert.equal(res.headers['x-ms-error-code'], code)
  const m = ERROR_BODY.exec(res.text)
  assert.ok(m, res.text)
  assert.equal(m[1], code)
  for (const f of fields) assert.ok(res.text.includes(f), `${f} in ${res.text}`)
}

describe('storage queue wire format and bad inputs', () => {
  let env: QueueEnv
  let account: { name: string; id: string }
  let token: string
  const call = (method: string, path: string, body?: string) =>
    https(`${env.queueUrl(account.name)}${path}`, {
      method,
      headers: { 'x-ms-version': VERSION, authorization: `Bearer ${token}` },
      body,
      ca: env.k.ca,
    })
  const count = async (q = 'wire') =>
    (await call('GET', `/${q}?comp=metadata`)).headers['x-ms-approximate-messages-count']

  before(async () => {
    env = await startQueueEnv()
    account = await env.createAccount()
    const vm = await env.createVm('vm-wire')
    await env.assign(vm.principalId, QUEUE_ROLES.contributor, account.id)
    token = await env.token(vm.id)
    await sleep(1000)
    assert.equal((await call('PUT', '/wire')).status, 201)
  })
  after(async () => env?.dispose())

  it("answers Put, Get and Peek Messages with Azure's QueueMessagesList", async () => {
    const put = await call('POST', '/wire/messages?messagettl=60', message('a &amp; b'))
    assert.equal(put.status, 201, put.text)
    assert.equal(put.headers['content-type'], 'application/xml')
    assert.match(
      put.text,
      /^<\?xml version="1\.0" encoding="utf-8"\?><QueueMessagesList><QueueMessage><MessageId>[0-9a-f-]{36}<\/MessageId><InsertionTime>\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT<\/InsertionTime><ExpirationTime>[^<]+<\/ExpirationTime><PopReceipt>[\w-]+<\/PopReceipt><TimeNextVisible>[^<]+<\/TimeNextVisible><\/QueueMessage><\/QueueMessagesList>$/,
    )
    const inserted = Date.parse(/<InsertionTime>([^<]+)/.exec(put.text)![1]!)
    const expires = Date.parse(/<ExpirationTime>([^<]+)/.exec(put.text)![1]!)
    assert.equal(expires - inserted, 60_000)
    const peek = await call('GET', '/wire/messages?peekonly=true&numofmessages=32')
    assert.equal(peek.status, 200)
    assert.doesNotMatch(peek.text, /PopReceipt|TimeNextVisible/)
    assert.match(peek.text, /<DequeueCount>0<\/DequeueCount><MessageText>a &amp; b<\/MessageText>/)
    const got = await call('GET', '/wire/messages?numofmessages=32&visibilitytimeout=5')
    assert.match(got.text, /<DequeueCount>1<\/DequeueCount><MessageText>a &amp; b<\/MessageText>/)
    const empty = await call('GET', '/wire/messages')
    assert.equal(
      empty.text,
      '<?xml version="1.0" encoding="utf-8"?><QueueMessagesList></QueueMessagesList>',
    )
    assert.equal((await call('DELETE', '/wire/messages')).status, 204)
  })

  it('refuses out-of-range and malformed query parameters, storing nothing', async () => {
    const before = await count()
    const cases: [string, string, string | undefined, string, string[]][] = [
      [
        'GET',
        '/wire/messages?numofmessages=33',
        undefined,
        'OutOfRangeQueryParameterValue',
        [
          '<QueryParameterName>numofmessages</QueryParameterName>',
          '<MaximumAllowed>32</MaximumAllowed>',
        ],
      ],
      [
        'GET',
        '/wire/messages?numofmessages=0',
        undefined,
        'OutOfRangeQueryParameterValue',
        ['<MinimumAllowed>1</MinimumAllowed>'],
      ],
      [
        'GET',
        '/wire/messages?numofmessages=many',
        undefined,
        'InvalidQueryParameterValue',
        ['<QueryParameterValue>many</QueryParameterValue>'],
      ],
      ['GET', '/wire/messages?visibilitytimeout=0', undefined, 'OutOfRangeQueryParameterValue', []],
      ['GET', '/wire/messages?peekonly=maybe', undefined, 'InvalidQueryParameterValue', []],
      [
        'POST',
        '/wire/messages?visibilitytimeout=604801',
        message('x'),
        'OutOfRangeQueryParameterValue',
        ['<MaximumAllowed>604800</MaximumAllowed>'],
      ],
      ['POST', '/wire/messages?messagettl=0', message('x'), 'OutOfRangeQueryParameterValue', []],
      ['POST', '/wire/messages?messagettl=-2', message('x'), 'OutOfRangeQueryParameterValue', []],
      [
        'POST',
        '/wire/messages?messagettl=10&visibilitytimeout=10',
        message('x'),
        'InvalidQueryParameterValue',
        [],
      ],
      [
        'POST',
        '/wire/messages?visibilitytimeout=1.5',
        message('x'),
        'InvalidQueryParameterValue',
        [],
      ],
    ]
    for (const [method, path, body, code, fields] of cases) {
      assertError(await call(method, path, body), 400, code, fields)
    }
    assert.equal(await count(), before)
  })

  it('refuses bad message bodies: not the XML, not XML text, over 64 KiB', async () => {
    const before = await count()
    assertError(await call('POST', '/wire/messages', 'plain text'), 400, 'InvalidXmlDocument')
    assertError(
      await call('POST', '/wire/messages', '<QueueMessage></QueueMessage>'),
      400,
      'InvalidXmlDocument',
    )
    assertError(await call('POST', '/wire/messages', message('&bogus;')), 400, 'InvalidXmlDocument')
    assertError(await call('POST', '/wire/messages', message('&#x1;')), 400, 'InvalidXmlDocument')
    assertError(await call('POST', '/wire/messages', ''), 400, 'InvalidXmlDocument')
    const big = await call('POST', '/wire/messages', message('x'.repeat(64 * 1024 + 1)))
    assertError(big, 413, 'RequestBodyTooLarge', ['<MaxLimit>65536</MaxLimit>'])
    const huge = await call('POST', '/wire/messages', message('x'.repeat(1024 * 1024)))
    assertError(huge, 413, 'RequestBodyTooLarge')
    // Exactly 64 KiB is allowed.
    assert.equal((await call('POST', '/wire/messages', message('x'.repeat(64 * 1024)))).status, 201)
    assert.equal(Number(await count()), Number(before) + 1)
    assert.equal((await call('DELETE', '/wire/messages')).status, 204)
  })

  it('names missing queues and messages, wrong and missing pop receipts', async () => {
    assertError(await call('POST', '/absent/messages', message('x')), 404, 'QueueNotFound')
    assertError(await call('GET', '/absent?comp=metadata'), 404, 'QueueNotFound')
    assertError(await call('DELETE', '/absent'), 404, 'QueueNotFound')
    assertError(await call('PUT', '/Bad_Name'), 400, 'InvalidResourceName')
    assertError(await call('PUT', '/ab'), 400, 'InvalidResourceName')
    const put = await call('POST', '/wire/messages', message('m'))
    const id = /<MessageId>([^<]+)/.exec(put.text)![1]!
    const receipt = /<PopReceipt>([^<]+)/.exec(put.text)![1]!
    assertError(
      await call('DELETE', `/wire/messages/${id}`),
      400,
      'MissingRequiredQueryParameter',
      ['<QueryParameterName>popreceipt</QueryParameterName>'],
    )
    assertError(
      await call('DELETE', `/wire/messages/${id}?popreceipt=AAAA`),
      400,
      'PopReceiptMismatch',
    )
    assertError(
      await call('PUT', `/wire/messages/${id}?popreceipt=${receipt}`, message('n')),
      400,
      'MissingRequiredQueryParameter',
      ['visibilitytimeout'],
    )
    assertError(
      await call('PUT', `/wire/messages/${id}?popreceipt=AAAA&visibilitytimeout=0`),
      400,
      'PopReceiptMismatch',
    )
    assertError(
      await call('DELETE', '/wire/messages/00000000-0000-0000-0000-000000000000?popreceipt=AAAA'),
      404,
      'MessageNotFound',
    )
    assertError(await call('GET', '/wire/messages/x/y'), 400, 'InvalidUri')
    const updated = await call(
      'PUT',
      `/wire/messages/${id}?popreceipt=${receipt}&visibilitytimeout=0`,
    )
    assert.equal(updated.status, 204, updated.text)
    assert.notEqual(updated.headers['x-ms-popreceipt'], receipt)
    assert.ok(!Number.isNaN(Date.parse(String(updated.headers['x-ms-time-next-visible']))))
    // The put receipt is spent; the update's is current.
    assertError(
      await call('DELETE', `/wire/messages/${id}?popreceipt=${receipt}`),
      400,
      'PopReceiptMismatch',
    )
    const del = await call(
      'DELETE',
      `/wire/messages/${id}?popreceipt=${updated.headers['x-ms-popreceipt']}`,
    )
    assert.equal(del.status, 204)
  })

  it('refuses verbs and components it does not serve, and bearer-less requests', async () => {
    assertError(await call('PATCH', '/wire'), 405, 'UnsupportedHttpVerb')
    assertError(await call('GET', '/wire?comp=acl'), 400, 'UnsupportedQueryParameter')
    assertError(await call('GET', '/wire?comp=nonsense'), 400, 'InvalidQueryParameterValue')
    const anonymous = await https(`${env.queueUrl(account.name)}/?comp=list`, {
      headers: { 'x-ms-version': VERSION },
      ca: env.k.ca,
    })
    assertError(anonymous, 401, 'NoAuthenticationInformation')
    assert.match(
      String(anonymous.headers['www-authenticate']),
      /resource_id=https:\/\/storage\.azure\.com$/,
    )
    const sharedKey = await https(`${env.queueUrl(account.name)}/?comp=list`, {
      headers: { 'x-ms-version': VERSION, authorization: 'SharedKey a:b' },
      ca: env.k.ca,
    })
    assertError(sharedKey, 403, 'KeyBasedAuthenticationNotPermitted')
    const unknown = await https(`${env.queueEndpoint}/noaccount0here/?comp=list`, {
      headers: { 'x-ms-version': VERSION, authorization: `Bearer ${token}` },
      ca: env.k.ca,
    })
    assertError(unknown, 404, 'ResourceNotFound')
  })
})
