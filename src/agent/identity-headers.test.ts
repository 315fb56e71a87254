import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { call } from './test-http.js'
import {
  ARM,
  assertJson,
  assertTokenBody,
  CLIENT,
  VM,
  VM2,
  startFakeAgent,
  type FakeAgent,
} from './test-agent.js'

describe('App Service endpoint', () => {
  let agent: FakeAgent
  before(async () => {
    agent = await startFakeAgent()
  })
  after(async () => agent?.close())
  const createRun = (resourceId: string, protocol: string) => agent.createRun(resourceId, protocol)
  const control = (method: string, path: string, body?: object) => agent.control(method, path, body)
  let env: Record<string, string>
  let runId: string
  before(async () => {
    const run = await createRun(VM, 'appservice')
    env = run.env
    runId = run.id
  })
  const get = (headers: Record<string, string>, extra = '') =>
    call(
      `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(ARM)}${extra}`,
      { headers },
    )

  it('gives each run a fresh random header and the shared endpoint', async () => {
    assert.equal(env.IDENTITY_ENDPOINT, agent.serving.identityEndpoint)
    assert.match(env.IDENTITY_HEADER!, /^[A-Za-z0-9_-]{43}$/)
    const other = await createRun(VM, 'appservice')
    assert.notEqual(other.env.IDENTITY_HEADER, env.IDENTITY_HEADER)
    await control('DELETE', `/runs/${other.id}`)
  })

  it('answers the right header with the App Service body', async () => {
    const a = await get({ 'X-IDENTITY-HEADER': env.IDENTITY_HEADER! })
    const body = assertTokenBody(a)
    assert.deepEqual(Object.keys(body), [
      'access_token',
      'expires_on',
      'resource',
      'token_type',
      'client_id',
    ])
  })

  it('reads principal_id as the object id selector', async () => {
    assertTokenBody(
      await get({ 'X-IDENTITY-HEADER': env.IDENTITY_HEADER! }, `&principal_id=${CLIENT}`),
    )
    assert.deepEqual(agent.source.requests.at(-1)!.selector, { kind: 'objectId', value: CLIENT })
  })

  it('refuses a missing header with 400 and a wrong one with 401', async () => {
    const missing = await get({})
    assert.equal(missing.status, 400)
    assert.equal(assertJson(missing).error, 'invalid_request')
    const wrong = await get({ 'X-IDENTITY-HEADER': env.IDENTITY_HEADER!.replace(/.$/, 'x') })
    assert.equal(wrong.status, 401)
    assert.equal(assertJson(wrong).error, 'invalid_client')
  })

  it('relays a refusal of the server for a resource hosted elsewhere as a 400', async () => {
    const run = await createRun(VM2, 'appservice')
    const a = await call(
      `${run.env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(ARM)}`,
      { headers: { 'X-IDENTITY-HEADER': run.env.IDENTITY_HEADER! } },
    )
    assert.equal(a.status, 400)
    assert.deepEqual(assertJson(a), {
      error: 'unauthorized_client',
      error_description: 'AADSTS2: The host does not host the resource',
    })
  })

  it('stops accepting the header of a deleted run', async () => {
    const deleted = await control('DELETE', `/runs/${runId}`)
    assert.equal(deleted.status, 204)
    const a = await get({ 'X-IDENTITY-HEADER': env.IDENTITY_HEADER! })
    assert.equal(a.status, 401)
  })
})
