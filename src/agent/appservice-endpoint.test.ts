// App Service's legacy 2017-09-01 protocol on the shared listener, over real HTTP, in the exact
// forms its clients send: msrestazure (az 2.45) appends `/?resource=<raw URI>&api-version=…` to
// MSI_ENDPOINT with only a `secret` header; azure-identity and msal-node send `clientid`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { call } from './test-http.js'
import { isLegacyRequest } from './appservice-endpoint.js'
import { legacyExpiresOn } from './token-body.js'
import { assertJson, CLIENT, UNKNOWN, VM, startFakeAgent, type FakeAgent } from './test-agent.js'

const CORE = 'https://management.core.windows.net/'
const SITE = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app1'

describe('App Service 2017-09-01 endpoint', () => {
  let agent: FakeAgent
  let env: Record<string, string>
  before(async () => {
    agent = await startFakeAgent()
    env = (await agent.createRun(SITE, 'appservice')).env
  })
  after(async () => agent?.close())
  const legacy = (extra = '', headers: Record<string, string> = { secret: env.MSI_SECRET! }) =>
    call(`${env.MSI_ENDPOINT}/?resource=${CORE}&api-version=2017-09-01${extra}`, { headers })

  it('sets both pairs of variables to one endpoint and one secret, and the site name', () => {
    assert.deepEqual(Object.keys(env).sort(), [
      'APPSETTING_WEBSITE_SITE_NAME',
      'IDENTITY_ENDPOINT',
      'IDENTITY_HEADER',
      'MSI_ENDPOINT',
      'MSI_SECRET',
      'WEBSITE_SITE_NAME',
    ])
    assert.equal(env.MSI_ENDPOINT, env.IDENTITY_ENDPOINT)
    assert.equal(env.MSI_SECRET, env.IDENTITY_HEADER)
    assert.equal(env.WEBSITE_SITE_NAME, 'app1')
    assert.equal(env.APPSETTING_WEBSITE_SITE_NAME, 'app1')
  })

  it("answers msrestazure's request with App Service's 2017 body, expires_on a date", async () => {
    const a = await legacy()
    assert.equal(a.status, 200, a.text)
    const body = assertJson(a)
    assert.deepEqual(Object.keys(body), [
      'access_token',
      'expires_on',
      'resource',
      'token_type',
      'client_id',
    ])
    // The fake clock starts at 2026-01-01T00:00:00Z and tokens last an hour.
    assert.equal(body.expires_on, '01/01/2026 01:00:00 +00:00')
    assert.equal(body.resource, CORE)
    assert.equal(body.token_type, 'Bearer')
    assert.equal(agent.source.requests.at(-1)!.callerResourceId, SITE)
  })

  it('passes clientid as the client-id selector and echoes it', async () => {
    const body = assertJson(await legacy(`&clientid=${CLIENT}`))
    assert.deepEqual(agent.source.requests.at(-1)!.selector, { kind: 'clientId', value: CLIENT })
    assert.equal(body.client_id, CLIENT)
  })

  it('answers an unknown clientid with exactly Identity not found', async () => {
    const a = await legacy(`&clientid=${UNKNOWN}`)
    assert.equal(a.status, 400)
    assert.deepEqual(assertJson(a), {
      error: 'invalid_request',
      error_description: 'Identity not found',
    })
  })

  it('requires the secret header: missing 400, wrong 401, X-IDENTITY-HEADER not taken', async () => {
    const sets: Record<string, string>[] = [
      {},
      { secret: '' },
      { 'X-IDENTITY-HEADER': env.IDENTITY_HEADER! },
    ]
    for (const headers of sets) {
      const a = await legacy('', headers)
      assert.equal(a.status, 400, a.text)
      assert.deepEqual(assertJson(a), {
        error: 'invalid_request',
        error_description: 'Required header secret not specified',
      })
    }
    const a = await legacy('', { secret: env.MSI_SECRET!.toUpperCase() })
    assert.equal(a.status, 401)
    assert.equal(assertJson(a).error, 'invalid_client')
  })

  it('keeps 2019-08-01 on X-IDENTITY-HEADER: a secret header alone is refused', async () => {
    const url = `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(CORE)}`
    const a = await call(url, { headers: { secret: env.MSI_SECRET! } })
    assert.equal(a.status, 400)
    assert.match(assertJson(a).error_description, /X-IDENTITY-HEADER not specified/)
  })

  it('refuses the 2017 api-version given twice, and versions between the two protocols', async () => {
    const twice = await legacy('&api-version=2017-09-01')
    assert.equal(twice.status, 400)
    assert.match(assertJson(twice).error_description, /api-version/)
    const between = await call(`${env.MSI_ENDPOINT}?resource=${CORE}&api-version=2018-02-01`, {
      headers: { secret: env.MSI_SECRET! },
    })
    assert.equal(between.status, 400)
    assert.match(assertJson(between).error_description, /2018-02-01/)
  })

  it('stops answering a run once it is deleted', async () => {
    const run = await agent.createRun(VM, 'appservice')
    const url = `${run.env.MSI_ENDPOINT}?resource=${CORE}&api-version=2017-09-01`
    const headers = { secret: run.env.MSI_SECRET! }
    assert.equal((await call(url, { headers })).status, 200)
    assert.equal((await agent.control('DELETE', `/runs/${run.id}`)).status, 204)
    const a = await call(url, { headers })
    assert.equal(a.status, 401)
    assert.equal(assertJson(a).error, 'invalid_client')
  })

  it('routes by the api-version parameter, not by the text of other parameters', () => {
    for (const [url, expected] of [
      ['/msi/token?api-version=2017-09-01&resource=x', true],
      ['/msi/token/?resource=x&api-version=2017-09-01', true],
      ['/msi/token?api-version=2019-08-01&resource=2017-09-01', false],
      ['/msi/token?api-version=2019-08-01', false],
      ['/msi/token', false],
    ] as const) {
      assert.equal(isLegacyRequest(url), expected, url)
    }
  })

  it('writes expires_on as MM/dd/yyyy HH:mm:ss +00:00 in UTC, zero-padded', () => {
    assert.equal(
      legacyExpiresOn(Date.UTC(2019, 5, 20, 2, 57, 58) / 1000),
      '06/20/2019 02:57:58 +00:00',
    )
    assert.equal(
      legacyExpiresOn(Date.UTC(2026, 11, 31, 23, 5, 9) / 1000),
      '12/31/2026 23:05:09 +00:00',
    )
  })
})
