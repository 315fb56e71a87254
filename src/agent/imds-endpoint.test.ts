import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { offline } from './test-fakes.js'
import { call } from './test-http.js'
import {
  assertJson,
  assertTokenBody,
  CLIENT,
  PATH,
  query,
  UNKNOWN,
  VM,
  startFakeAgent,
  type FakeAgent,
} from './test-agent.js'

describe('IMDS endpoint', () => {
  let agent: FakeAgent
  before(async () => {
    agent = await startFakeAgent()
  })
  after(async () => agent?.close())
  const createRun = (resourceId: string, protocol: string) => agent.createRun(resourceId, protocol)
  let base: string
  before(async () => {
    const run = await createRun(VM, 'imds')
    base = run.env.AZURE_POD_IDENTITY_AUTHORITY_HOST!
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/)
  })
  const get = (path: string, headers: Record<string, string> = { Metadata: 'true' }) =>
    call(base + path, { headers })

  it('answers a token request with the reference fields, resource echoed exactly', async () => {
    const body = assertTokenBody(await get(PATH + query()))
    assert.equal(body.client_id, '11111111-1111-1111-1111-111111111111')
    assert.equal(Number(body.expires_on), Math.floor(agent.clock.now() / 1000) + 3600)
    assert.equal(body.expires_in, '3600')
    assert.deepEqual(Object.keys(body), [
      'access_token',
      'client_id',
      'expires_in',
      'expires_on',
      'ext_expires_in',
      'not_before',
      'resource',
      'token_type',
    ])
    assert.equal(agent.source.requests.at(-1)!.callerResourceId, VM)
  })

  it('serves the lower-cased path with a trailing slash the same way', async () => {
    assertTokenBody(await get(PATH.toLowerCase() + '/' + query()))
  })

  it('keeps an audience without a trailing slash as it was requested', async () => {
    const r = 'https://vault.azure.net'
    const a = await get(`${PATH}?api-version=2018-02-01&resource=${encodeURIComponent(r)}`)
    assertTokenBody(a, r)
  })

  it('refuses a request without Metadata: true with 400 JSON, fast', async () => {
    const started = Date.now()
    const a = await get(PATH, { accept: 'application/json' })
    assert.ok(Date.now() - started < 1000)
    assert.equal(a.status, 400)
    assert.deepEqual(assertJson(a), {
      error: 'invalid_request',
      error_description: 'Required metadata header not specified',
    })
  })

  it('refuses X-Forwarded-For with 400', async () => {
    const a = await get(PATH + query(), { Metadata: 'true', 'X-Forwarded-For': '10.0.0.1' })
    assert.equal(a.status, 400)
    assert.equal(assertJson(a).error, 'invalid_request')
  })

  it('refuses duplicate query names with 400', async () => {
    const a = await get(PATH + query('&api-version=2018-02-01'))
    assert.equal(a.status, 400)
    assert.match(assertJson(a).error_description, /api-version/)
  })

  it('answers other methods with 405 and Allow: GET', async () => {
    const a = await call(base + PATH + query(), { method: 'POST', headers: { Metadata: 'true' } })
    assert.equal(a.status, 405)
    assert.equal(a.headers.allow, 'GET')
    assertJson(a)
  })

  it('answers unknown paths with 404 JSON', async () => {
    const a = await get('/metadata/instance?api-version=2021-02-01')
    assert.equal(a.status, 404)
    assertJson(a)
  })

  it('passes a selector to the token service and echoes the client id as sent', async () => {
    const body = assertTokenBody(await get(PATH + query(`&client_id=${CLIENT}`)))
    assert.deepEqual(agent.source.requests.at(-1)!.selector, { kind: 'clientId', value: CLIENT })
    assert.equal(body.client_id, CLIENT)
  })

  it('answers an identity the server does not know with exactly Identity not found', async () => {
    const a = await get(PATH + query(`&object_id=${UNKNOWN}`))
    assert.equal(a.status, 400)
    assert.deepEqual(assertJson(a), {
      error: 'invalid_request',
      error_description: 'Identity not found',
    })
  })
  describe('host state and failures', () => {
    let base: string
    before(async () => {
      base = (await createRun(VM, 'imds')).env.AZURE_POD_IDENTITY_AUTHORITY_HOST!
    })
    const get = (extra = '') => call(base + PATH + query(extra), { headers: { Metadata: 'true' } })

    it('answers 503 when the server is unreachable and nothing is cached', async () => {
      agent.source.behaviour = offline()
      try {
        const a = await get(`&client_id=${'B'.repeat(8)}-0000-4000-8000-000000000001`)
        assert.equal(a.status, 503)
        assert.equal(assertJson(a).error, 'temporarily_unavailable')
      } finally {
        agent.source.behaviour = 'ok'
      }
    })

    it('refuses every request once the host is revoked', async () => {
      agent.revoked = true
      try {
        const a = await get()
        assert.equal(a.status, 400)
        assert.equal(assertJson(a).error, 'unauthorized_client')
      } finally {
        agent.revoked = false
      }
    })
  })
})
