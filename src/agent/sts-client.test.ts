import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import type { HostCredential } from './credential.js'
import { createHttpsClient } from './https-client.js'
import { createStsClient } from './sts-client.js'
import { fakeHttpsServer } from './test-fakes.js'
import { TokenRequestError } from './token-source.js'

const VM = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1'
const clock = { now: () => Date.now() }

describe('token service client', () => {
  let server: Awaited<ReturnType<typeof fakeHttpsServer>>
  const received: { path: string; form: URLSearchParams }[] = []
  let answer: (path: string) => { status: number; body: unknown; headers?: Record<string, string> }
  let http: ReturnType<typeof createHttpsClient>
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const credential = (path = '/t1/oauth2/v2.0/token'): HostCredential => ({
    hostId: 'host-1',
    tenantId: 't1',
    privateKey,
    certificateDer: 'MIIB',
    certificatePem: '',
    caCertificatePem: '',
    notBefore: 0,
    notAfter: Date.now() + 86_400_000,
    tokenEndpoint: `${server.origin}${path}`,
    eventsUrl: `${server.origin}/keyless/v1/events`,
    serverUrl: server.origin,
  })
  const jwt = async (exp: number) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime(exp)
      .setNotBefore(exp - 100)
      .sign(privateKey)

  before(async () => {
    server = await fakeHttpsServer((req, res) => {
      let text = ''
      req.on('data', (c: Buffer) => (text += c.toString()))
      req.on('end', () => {
        received.push({ path: req.url!, form: new URLSearchParams(text) })
        const a = answer(req.url!)
        res
          .writeHead(a.status, { 'content-type': 'application/json', ...a.headers })
          .end(JSON.stringify(a.body))
      })
    })
    http = createHttpsClient({ caPem: server.ca })
  })
  after(async () => {
    http.close()
    await server.close()
  })

  it('sends the agent protocol form and reads the identity the server chose', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600
    const token = await jwt(exp)
    answer = () => ({
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: 3599,
        access_token: token,
        client_id: 'c1',
        object_id: 'o1',
        msi_res_id: '/id',
      },
    })
    const sts = createStsClient({ authMethod: 'private_key_jwt', credential, http, clock })
    const issued = await sts.requestToken({
      callerResourceId: VM,
      resource: 'https://management.azure.com/',
      selector: { kind: 'clientId', value: 'C1' },
    })
    assert.deepEqual(issued, {
      accessToken: token,
      expiresOn: exp,
      notBefore: exp - 100,
      clientId: 'c1',
      objectId: 'o1',
      msiResId: '/id',
    })
    const { path, form } = received.at(-1)!
    assert.equal(path, '/t1/oauth2/v2.0/token')
    assert.equal(form.get('grant_type'), 'client_credentials')
    assert.equal(form.get('client_id'), 'host-1')
    assert.equal(
      form.get('client_assertion_type'),
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
    assert.equal(form.get('scope'), 'https://management.azure.com//.default')
    assert.equal(form.get('xms_az_rid'), VM)
    assert.equal(form.get('mi_client_id'), 'C1')
    const assertion = form.get('client_assertion')!
    assert.deepEqual(decodeProtectedHeader(assertion), { alg: 'ES256', typ: 'JWT', x5c: ['MIIB'] })
    const claims = decodeJwt(assertion)
    assert.equal(claims.iss, 'host-1')
    assert.equal(claims.sub, 'host-1')
    assert.equal(claims.aud, `${server.origin}/t1/oauth2/v2.0/token`)
    assert.ok(claims.exp! - claims.iat! <= 600)
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/)
  })

  it('sends resource to a v1 endpoint, and a fresh assertion id every time', async () => {
    answer = () => ({ status: 200, body: { access_token: 'opaque', expires_in: 60 } })
    const sts = createStsClient({
      authMethod: 'private_key_jwt',
      credential: () => credential('/t1/oauth2/token'),
      http,
      clock,
    })
    const a = await sts.requestToken({ callerResourceId: VM, resource: 'https://vault.azure.net' })
    await sts.requestToken({ callerResourceId: VM, resource: 'https://vault.azure.net' })
    const [f1, f2] = received.slice(-2).map((r) => r.form)
    assert.equal(f1!.get('resource'), 'https://vault.azure.net')
    assert.equal(f1!.get('scope'), null)
    assert.notEqual(
      decodeJwt(f1!.get('client_assertion')!).jti,
      decodeJwt(f2!.get('client_assertion')!).jti,
    )
    assert.ok(
      Math.abs(a.expiresOn - (Math.floor(Date.now() / 1000) + 60)) <= 1,
      'expires_in from now',
    )
  })

  it('reports a refusal with status, OAuth error and codes, without retrying', async () => {
    answer = () => ({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'AADSTS500011: Identity not found.\r\nTrace ID: x',
        error_codes: [500011],
      },
    })
    const before = received.length
    const sts = createStsClient({ authMethod: 'private_key_jwt', credential, http, clock })
    await assert.rejects(
      sts.requestToken({ callerResourceId: VM, resource: 'https://vault.azure.net' }),
      (e: TokenRequestError) =>
        e.status === 400 &&
        e.error === 'invalid_request' &&
        e.codes[0] === 500011 &&
        !e.isTransient,
    )
    assert.equal(received.length - before, 1)
  })

  it('retries a 503 briefly, then reports it as transient', async () => {
    answer = () => ({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'busy' },
    })
    const before = received.length
    const sts = createStsClient({
      authMethod: 'private_key_jwt',
      credential,
      http,
      clock,
      retryDelaysMs: [1, 1],
    })
    await assert.rejects(
      sts.requestToken({ callerResourceId: VM, resource: 'https://vault.azure.net' }),
      (e: TokenRequestError) => e.status === 503 && e.isTransient,
    )
    assert.equal(received.length - before, 3)
  })

  it('keeps the Retry-After of a 429', async () => {
    answer = () => ({
      status: 429,
      body: { error: 'too_many_requests', error_description: 'slow down' },
      headers: { 'retry-after': '7' },
    })
    const sts = createStsClient({ authMethod: 'private_key_jwt', credential, http, clock })
    await assert.rejects(
      sts.requestToken({ callerResourceId: VM, resource: 'https://vault.azure.net' }),
      (e: TokenRequestError) => e.status === 429 && e.retryAfterS === 7,
    )
  })

  it('reports an unreachable server as status 0 after retrying', async () => {
    const sts = createStsClient({
      authMethod: 'private_key_jwt',
      credential: () => ({
        ...credential(),
        tokenEndpoint: 'https://127.0.0.1:1/t1/oauth2/v2.0/token',
      }),
      http,
      clock,
      retryDelaysMs: [1],
    })
    await assert.rejects(
      sts.requestToken({ callerResourceId: VM, resource: 'https://vault.azure.net' }),
      (e: TokenRequestError) =>
        e.status === 0 && e.error === 'temporarily_unavailable' && e.isTransient,
    )
  })
})
