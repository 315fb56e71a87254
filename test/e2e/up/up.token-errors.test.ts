// Bad input to the token endpoint gets Entra's OAuth error JSON and status, never a 500.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { form, https } from '../../helpers/https.js'

describe('token endpoint errors', () => {
  let k: KeylessProcess
  let url: string
  before(async () => {
    k = await startKeyless()
    url = `${k.endpoints.authorityHost}/${k.endpoints.tenantId}/oauth2/v2.0/token`
  })
  after(async () => k?.dispose())

  const good = () => ({
    grant_type: 'client_credentials',
    client_id: k.admin.clientId,
    client_secret: k.admin.clientSecret,
    scope: 'https://management.azure.com/.default',
  })
  const post = (
    body: string | Buffer,
    contentType = 'application/x-www-form-urlencoded',
    path = url,
  ) => https(path, { method: 'POST', headers: { 'content-type': contentType }, body, ca: k.ca })

  const cases: {
    name: string
    body: () => string | Buffer
    contentType?: string
    path?: () => string
    status: number
    error: string
    aadsts: number
  }[] = [
    {
      name: 'an unknown client',
      body: () => form({ ...good(), client_id: '00000000-0000-0000-0000-000000000001' }),
      status: 400,
      error: 'unauthorized_client',
      aadsts: 700016,
    },
    {
      name: 'a wrong secret',
      body: () => form({ ...good(), client_secret: 'kls~wrong' }),
      status: 401,
      error: 'invalid_client',
      aadsts: 7000215,
    },
    {
      name: 'a missing grant_type',
      body: () => form({ ...good(), grant_type: '' }),
      status: 400,
      error: 'invalid_request',
      aadsts: 900144,
    },
    {
      name: 'a missing client_id',
      body: () => {
        const b: Record<string, string> = good()
        delete b.client_id
        return form(b)
      },
      status: 400,
      error: 'invalid_request',
      aadsts: 900144,
    },
    {
      name: 'a missing scope',
      body: () => {
        const b: Record<string, string> = good()
        delete b.scope
        return form(b)
      },
      status: 400,
      error: 'invalid_request',
      aadsts: 900144,
    },
    {
      name: 'a missing secret',
      body: () => {
        const b: Record<string, string> = good()
        delete b.client_secret
        return form(b)
      },
      status: 400,
      error: 'invalid_request',
      aadsts: 900144,
    },
    {
      name: 'a duplicated parameter',
      body: () => form([...Object.entries(good()), ['client_id', k.admin.clientId]]),
      status: 400,
      error: 'invalid_request',
      aadsts: 9000411,
    },
    {
      name: 'the password grant type',
      body: () => form({ ...good(), grant_type: 'password' }),
      status: 400,
      error: 'unsupported_grant_type',
      aadsts: 70003,
    },
    {
      name: 'a scope without /.default',
      body: () => form({ ...good(), scope: 'https://management.azure.com/user_impersonation' }),
      status: 400,
      error: 'invalid_scope',
      aadsts: 1002012,
    },
    {
      name: 'a JSON body',
      body: () => JSON.stringify(good()),
      contentType: 'application/json',
      status: 400,
      error: 'invalid_request',
      aadsts: 900144,
    },
    {
      name: 'a text body',
      body: () => 'grant_type=client_credentials',
      contentType: 'text/plain',
      status: 400,
      error: 'invalid_request',
      aadsts: 900144,
    },
    {
      name: 'an oversized body',
      body: () => form({ ...good(), pad: 'x'.repeat(100_000) }),
      status: 413,
      error: 'invalid_request',
      aadsts: 90083,
    },
    {
      name: 'an unknown tenant',
      body: () => form(good()),
      path: () => url.replace(k.endpoints.tenantId, '11111111-2222-3333-4444-555555555555'),
      status: 400,
      error: 'invalid_request',
      aadsts: 90002,
    },
  ]
  for (const c of cases) {
    it(`answers ${c.status} ${c.error} to ${c.name}`, async () => {
      const res = await post(c.body(), c.contentType, c.path?.())
      assert.equal(res.status, c.status, res.text)
      assert.match(String(res.headers['content-type']), /^application\/json/)
      const body = res.json()
      assert.equal(body.error, c.error)
      assert.deepEqual(body.error_codes, [c.aadsts])
      assert.match(body.error_description, new RegExp(`^AADSTS${c.aadsts}: `))
      for (const f of ['timestamp', 'trace_id', 'correlation_id'])
        assert.equal(typeof body[f], 'string', f)
    })
  }

  it('accepts HTTP Basic client authentication and the v1 endpoint with resource', async () => {
    const basic = Buffer.from(`${k.admin.clientId}:${k.admin.clientSecret}`).toString('base64')
    const res = await https(url.replace('/v2.0/token', '/token'), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${basic}`,
      },
      body: form({ grant_type: 'client_credentials', resource: 'https://vault.azure.net' }),
      ca: k.ca,
    })
    assert.equal(res.status, 200, res.text)
    const body = res.json()
    assert.equal(body.resource, 'https://vault.azure.net')
    assert.match(body.expires_on, /^\d+$/)
    assert.equal(body.token_type, 'Bearer')
  })

  it('echoes the client-request-id as the correlation id', async () => {
    const id = '5a0c1a77-8d4b-4c47-9d0e-0f6d3c0c9a11'
    const res = await post(
      form({ ...good(), client_secret: 'bad' }),
      undefined,
      `${url}?client-request-id=${id}`,
    )
    assert.equal(res.json().correlation_id, id)
  })
})
