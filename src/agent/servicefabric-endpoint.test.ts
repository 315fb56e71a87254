// Service Fabric's protocol on a run's own HTTPS listener, over real TLS: the certificate the
// thumbprint names, the docs' body and error shape, and a `Secret` that only its run may use.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request, type RequestOptions } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { readAnswer, call, type Answer } from './test-http.js'
import { ARM, CLIENT, UNKNOWN, VM, startFakeAgent, type FakeAgent } from './test-agent.js'

interface Run {
  id: string
  env: Record<string, string>
  trustFile?: string
}

/** A GET over TLS trusting `ca` only; the answer and the certificate the server showed. */
function get(
  url: string,
  headers: Record<string, string>,
  ca: string,
): Promise<Answer & { peer: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const o: RequestOptions = { headers, ca, agent: false }
    const req = request(url, o, (res) => {
      const raw = (res.socket as TLSSocket).getPeerCertificate(false).raw
      readAnswer(res, (a) => resolve({ ...a, peer: new X509Certificate(raw) }))
    })
    req.on('error', reject)
    req.end()
  })
}

const sfError = (a: Answer, status: number, code: string) => {
  assert.equal(a.status, status, a.text)
  assert.equal(a.headers['content-type'], 'application/json; charset=utf-8')
  const body = a.json()
  assert.deepEqual(Object.keys(body), ['error'])
  assert.deepEqual(Object.keys(body.error), ['correlationId', 'code', 'message'])
  assert.match(body.error.correlationId, /^[0-9a-f-]{36}$/)
  assert.equal(body.error.code, code)
  return body.error.message as string
}

describe('Service Fabric endpoint', () => {
  let agent: FakeAgent
  let run: Run
  let ca: string
  const url = (extra = '', version = '2019-07-01-preview') =>
    `${run.env.IDENTITY_ENDPOINT}?api-version=${version}&resource=${encodeURIComponent(ARM)}${extra}`
  const secret = () => ({ Secret: run.env.IDENTITY_HEADER! })
  before(async () => {
    agent = await startFakeAgent()
    const a = await agent.control('POST', '/runs', { resourceId: VM, protocol: 'servicefabric' })
    assert.equal(a.status, 201, a.text)
    run = a.json()
    ca = readFileSync(run.trustFile!, 'utf8')
  })
  after(async () => agent?.close())

  it("sets Service Fabric's four variables; the thumbprint names the served certificate", async () => {
    assert.deepEqual(Object.keys(run.env).sort(), [
      'IDENTITY_API_VERSION',
      'IDENTITY_ENDPOINT',
      'IDENTITY_HEADER',
      'IDENTITY_SERVER_THUMBPRINT',
    ])
    assert.match(
      run.env.IDENTITY_ENDPOINT!,
      /^https:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token$/,
    )
    assert.equal(run.env.IDENTITY_API_VERSION, '2019-07-01-preview')
    assert.match(run.env.IDENTITY_SERVER_THUMBPRINT!, /^[0-9A-F]{40}$/)
    const a = await get(url(), secret(), ca)
    assert.equal(a.peer.fingerprint.replaceAll(':', ''), run.env.IDENTITY_SERVER_THUMBPRINT)
    assert.equal(a.peer.checkIP('127.0.0.1'), '127.0.0.1')
  })

  it("answers with the docs' body: token_type, access_token, expires_on a number, resource", async () => {
    const a = await get(url(), secret(), ca)
    assert.equal(a.status, 200, a.text)
    const body = a.json()
    assert.deepEqual(Object.keys(body), ['token_type', 'access_token', 'expires_on', 'resource'])
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_on, Math.floor(agent.clock.now() / 1000) + 3600)
    assert.equal(body.resource, ARM)
    assert.equal(agent.source.requests.at(-1)!.callerResourceId, VM)
  })

  it('passes a client_id selector to the token service', async () => {
    assert.equal((await get(url(`&client_id=${CLIENT}`), secret(), ca)).status, 200)
    assert.deepEqual(agent.source.requests.at(-1)!.selector, { kind: 'clientId', value: CLIENT })
  })

  it("refuses in Service Fabric's error shape, with its codes and statuses", async () => {
    const missing = sfError(await get(url(), {}, ca), 400, 'SecretHeaderNotFound')
    assert.equal(missing, 'Secret is not found in the request headers.')
    sfError(await get(url(), { Secret: 'x'.repeat(43) }, ca), 404, 'ManagedIdentityNotFound')
    sfError(await get(url(`&client_id=${UNKNOWN}`), secret(), ca), 404, 'ManagedIdentityNotFound')
    const version = sfError(
      await get(url('', '2019-08-01'), secret(), ca),
      400,
      'InvalidApiVersion',
    )
    assert.equal(
      version,
      "The api-version '2019-08-01' is not supported. Supported version is '2019-07-01-preview'.",
    )
    const noResource = `${run.env.IDENTITY_ENDPOINT}?api-version=2019-07-01-preview`
    sfError(await get(noResource, secret(), ca), 400, 'ArgumentNullOrEmpty')
  })

  it("keeps each run's secret to its own listener, and App Service's apart", async () => {
    const app = await agent.createRun(VM, 'appservice')
    const other = (
      await agent.control('POST', '/runs', { resourceId: VM, protocol: 'servicefabric' })
    ).json() as Run
    // App Service's header, and another Service Fabric run's, are unknown here.
    sfError(
      await get(url(), { Secret: app.env.IDENTITY_HEADER! }, ca),
      404,
      'ManagedIdentityNotFound',
    )
    sfError(
      await get(url(), { Secret: other.env.IDENTITY_HEADER! }, ca),
      404,
      'ManagedIdentityNotFound',
    )
    // And this run's secret is unknown to App Service's listener, in either protocol.
    const appUrl = `${app.env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(ARM)}`
    assert.equal(
      (await call(appUrl, { headers: { 'X-IDENTITY-HEADER': run.env.IDENTITY_HEADER! } })).status,
      401,
    )
    const legacyUrl = `${app.env.MSI_ENDPOINT}?api-version=2017-09-01&resource=${encodeURIComponent(ARM)}`
    assert.equal(
      (await call(legacyUrl, { headers: { secret: run.env.IDENTITY_HEADER! } })).status,
      401,
    )
    assert.equal(other.trustFile, run.trustFile)
    assert.equal(other.env.IDENTITY_SERVER_THUMBPRINT, run.env.IDENTITY_SERVER_THUMBPRINT)
  })

  it('serves the run again after a restart, on the same port with the same certificate', async () => {
    const dir = agent.dir
    await agent.serving.close()
    agent = await startFakeAgent({ dir })
    const a = await get(url(), secret(), ca)
    assert.equal(a.status, 200, a.text)
    assert.equal(a.peer.fingerprint.replaceAll(':', ''), run.env.IDENTITY_SERVER_THUMBPRINT)
  })
})
