// Fastify's own errors (bodies too large, content types without a parser, bodies a parser
// would turn into the wrong type) are answered by every protocol in its own format with the
// right status (issue 12.3): the hosts API answered a too-large body with "internal error", and
// Put Block List sent as text/plain or JSON answered 500.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeJwt } from 'jose'
import { https } from '../../helpers/https.js'
import { arm, assignRole } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { setUp, type HardeningEnv } from './hardening.config.js'

const BLOB_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

describe('framework errors in every protocol format', () => {
  let env: HardeningEnv
  before(async () => {
    env = await setUp()
  })
  after(async () => env?.dispose())

  it('answers a too-large body with 413 in the envelope on ARM and the hosts API', async () => {
    const { k } = env
    const token = await operatorToken(k)
    const big = JSON.stringify({ pad: 'x'.repeat(1_100_000) })
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    for (const url of [
      `${k.endpoints.authorityHost}/keyless/v1/hosts/enroll`,
      `${k.endpoints.authorityHost}/keyless/v1/joinTokens`,
      `${k.endpoints.managementEndpoint}/subscriptions/${k.endpoints.subscriptionId}/resourcegroups/big?api-version=2021-04-01`,
    ]) {
      const res = await https(url, {
        method: url.includes('resourcegroups') ? 'PUT' : 'POST',
        headers,
        body: big,
        ca: k.ca,
      })
      assert.equal(res.status, 413, `${url}: ${res.text}`)
      assert.equal(res.json().error.code, 'RequestContentTooLarge', url)
    }
  })

  it('answers a content type without a parser with 415 on the hosts API and OAuth', async () => {
    const { k } = env
    const hosts = await https(`${k.endpoints.authorityHost}/keyless/v1/hosts/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<x/>',
      ca: k.ca,
    })
    assert.equal(hosts.status, 415, hosts.text)
    assert.equal(hosts.json().error.code, 'UnsupportedMediaType')
    const sts = await https(
      `${k.endpoints.authorityHost}/${k.endpoints.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        ca: k.ca,
      },
    )
    assert.equal(sts.status, 400, sts.text)
    assert.equal(sts.json().error, 'invalid_request')
  })

  it('reads Put Block List bodies of any content type as the block list XML', async () => {
    const { k } = env
    const token = await env.genuine('https://storage.azure.com')
    const oid = String(decodeJwt(token).oid)
    const call = arm(k, await operatorToken(k))
    const account = env.accountUrl.split('/').pop()!
    const list = await call(
      'GET',
      `/subscriptions/${k.endpoints.subscriptionId}/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01`,
    )
    const id = list.json().value.find((a: { name: string }) => a.name === account).id as string
    await assignRole(call, k.endpoints.subscriptionId, {
      scope: id,
      role: BLOB_CONTRIBUTOR,
      principalId: oid,
    })
    const blob = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      https(`${env.accountUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'x-ms-version': '2023-11-03', ...headers },
        body,
        ca: k.ca,
      })
    // RBAC changes reach the index through the change feed: wait for the grant.
    let created = await blob('PUT', '/cont1?restype=container', {})
    for (let i = 0; i < 50 && created.status === 403; i++) {
      await new Promise((r) => setTimeout(r, 100))
      created = await blob('PUT', '/cont1?restype=container', {})
    }
    assert.equal(created.status, 201, created.text)
    const block = Buffer.from('b1').toString('base64')
    const staged = await blob('PUT', `/cont1/b?comp=block&blockid=${block}`, {}, 'hello')
    assert.equal(staged.status, 201, staged.text)
    const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>${block}</Latest></BlockList>`
    for (const type of ['text/plain', 'application/json', 'application/xml']) {
      const res = await blob('PUT', '/cont1/b?comp=blocklist', { 'content-type': type }, xml)
      assert.equal(res.status, 201, `${type}: ${res.text}`)
    }
    for (const type of ['text/plain', 'application/json']) {
      const res = await blob('PUT', '/cont1/b?comp=blocklist', { 'content-type': type }, '{"a":1}')
      assert.equal(res.status, 400, `${type}: ${res.text}`)
      assert.match(res.text, /<Error><Code>\w+<\/Code>/)
    }
  })
})
