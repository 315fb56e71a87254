// Authentication and live authorization on the wire: the 401 challenge the SDK's tenant policy
// reads, Bearer only (no shared key, no SAS, no OAuth before x-ms-version 2017-11-09), token
// attacks refused with Azure's InvalidAuthenticationInfo, and revocation effective within a
// second for a token issued before it: a deleted role assignment, a deleted identity.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { https, type HttpResult } from '../../helpers/https.js'
import { ROLES, startBlobEnv, type BlobEnv } from './blob.config.js'
import { attacks, decode } from './forged-tokens.js'

const VERSION = '2026-04-06'
const ERROR_BODY =
  /^<\?xml version="1\.0" encoding="utf-8"\?><Error><Code>(\w+)<\/Code><Message>([^<]*)\nRequestId:([0-9a-f-]{36})\nTime:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z)<\/Message>/

function assertError(res: HttpResult, status: number, code: string) {
  assert.equal(res.status, status, res.text)
  assert.equal(res.headers['x-ms-error-code'], code)
  assert.match(String(res.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/)
  assert.ok(res.headers['x-ms-version'])
  assert.ok(res.headers.date)
  if (res.text !== '') {
    const m = ERROR_BODY.exec(res.text)
    assert.ok(m, res.text)
    assert.equal(m[1], code)
    assert.equal(m[3], res.headers['x-ms-request-id'])
    assert.equal(res.headers['content-type'], 'application/xml')
  }
}

function detail(res: HttpResult): string | undefined {
  return /<AuthenticationErrorDetail>([^<]*)<\/AuthenticationErrorDetail>/.exec(res.text)?.[1]
}

/** Retries `request` until it answers `status`: new grants reach the RBAC index within a second. */
async function granted(request: () => Promise<HttpResult>, status = 200): Promise<HttpResult> {
  const deadline = Date.now() + 2000
  for (;;) {
    const res = await request()
    if (res.status === status || Date.now() > deadline) return res
    await sleep(50)
  }
}

/** Repeats `request` every 50 ms while it is still answered 200, for up to a second after
 * `since`: the first refusal, else the last answer. */
async function refused(since: number, request: () => Promise<HttpResult>): Promise<HttpResult> {
  let res: HttpResult
  do {
    res = await request()
    if (res.status !== 200) break
    await sleep(50)
  } while (Date.now() - since < 1000)
  return res
}

describe('blob authentication and revocation', () => {
  let env: BlobEnv
  let account: { name: string; id: string }
  let vm: { id: string; principalId: string }
  let token: string
  let challenge: string

  const call = (
    path: string,
    o: { token?: string | null; method?: string; headers?: Record<string, string> } = {},
  ) =>
    https(`${env.accountUrl(account.name)}${path}`, {
      method: o.method ?? 'GET',
      headers: {
        'x-ms-version': VERSION,
        ...(o.token === null ? {} : { authorization: `Bearer ${o.token ?? token}` }),
        ...o.headers,
      },
      ca: env.k.ca,
    })

  before(async () => {
    env = await startBlobEnv()
    account = await env.createAccount()
    vm = await env.createVm('vm-auth')
    await env.assign(vm.principalId, ROLES.contributor, account.id)
    token = await env.token(vm.id)
    const { endpoints } = env.k
    challenge = `Bearer authorization_uri=${endpoints.authorityHost}/${endpoints.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`
    const created = await granted(() => call('/c-auth?restype=container', { method: 'PUT' }), 201)
    assert.equal(created.status, 201, created.text)
  })
  after(async () => env?.dispose())

  it('serves a genuine token from the agent, with the common headers', async () => {
    const res = await call('/?comp=list')
    assert.equal(res.status, 200, res.text)
    assert.equal(res.headers['content-type'], 'application/xml')
    assert.equal(res.headers['x-ms-version'], VERSION)
    assert.match(String(res.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/)
    assert.ok(!Number.isNaN(Date.parse(String(res.headers.date))))
    assert.match(res.text, /<Name>c-auth<\/Name>/)
    assert.equal(decode(token).payload.aud, 'https://storage.azure.com')
  })

  it('accepts a token whose audience is the account URL', async () => {
    const own = await env.token(vm.id, `${env.accountUrl(account.name)}/.default`)
    assert.equal(decode(own).payload.aud, env.accountUrl(account.name))
    assert.equal((await call('/?comp=list', { token: own })).status, 200)
  })

  it('challenges a request without a token with the tenant and the storage resource', async () => {
    const res = await call('/?comp=list', { token: null })
    assertError(res, 401, 'NoAuthenticationInformation')
    assert.equal(res.headers['www-authenticate'], challenge)
  })

  it('names the error in x-ms-error-code on HEAD, which has no body', async () => {
    const res = await call('/c-auth/missing.txt', { method: 'HEAD' })
    assertError(res, 404, 'BlobNotFound')
    assert.equal(res.text, '')
  })

  it('refuses shared keys and SAS as an account without key access does', async () => {
    const key = await call('/?comp=list', {
      token: null,
      headers: { authorization: 'SharedKey a:b' },
    })
    assertError(key, 403, 'KeyBasedAuthenticationNotPermitted')
    const sas = await call('/?comp=list&sv=2022-11-02&sig=abc', { token: null })
    assertError(sas, 403, 'KeyBasedAuthenticationNotPermitted')
  })

  it('refuses Bearer tokens before x-ms-version 2017-11-09 and malformed versions', async () => {
    const old = await call('/?comp=list', { headers: { 'x-ms-version': '2017-07-29' } })
    assertError(old, 403, 'AuthenticationFailed')
    assert.equal(detail(old), 'Authentication scheme Bearer is not supported in this version.')
    assertError(
      await call('/?comp=list', { headers: { 'x-ms-version': 'latest' } }),
      400,
      'InvalidHeaderValue',
    )
    assert.equal(
      (await call('/?comp=list', { headers: { 'x-ms-version': '2017-11-09' } })).status,
      200,
    )
  })

  it('refuses forged and misused tokens with InvalidAuthenticationInfo and the challenge', async () => {
    const { tenantId } = env.k.endpoints
    for (const attack of await attacks(token, env.k.dataDir, tenantId)) {
      const res = await call('/?comp=list', { token: attack.token })
      assertError(res, 401, 'InvalidAuthenticationInfo')
      assert.equal(res.headers['www-authenticate'], challenge, attack.name)
      assert.match(detail(res) ?? '', attack.detail, attack.name)
    }
  })

  it('refuses the same unexpired token within a second of its role assignment being deleted', async () => {
    const other = await env.createVm('vm-revoked')
    const assignment = await env.assign(other.principalId, ROLES.contributor, account.id)
    const own = await env.token(other.id)
    assert.equal(
      (await granted(() => call('/c-auth?restype=container&comp=list', { token: own }))).status,
      200,
    )
    await env.unassign(assignment)
    const deleted = Date.now()
    const res = await refused(deleted, () =>
      call('/c-auth?restype=container&comp=list', { token: own }),
    )
    assertError(res, 403, 'AuthorizationPermissionMismatch')
    assert.ok(Date.now() - deleted <= 1100, `refused after ${Date.now() - deleted} ms`)
  })

  it('refuses the same unexpired token within a second of its identity being deleted', async () => {
    const other = await env.createVm('vm-deleted')
    await env.assign(other.principalId, ROLES.contributor, account.id)
    const own = await env.token(other.id)
    assert.equal((await granted(() => call('/?comp=list', { token: own }))).status, 200)
    const res0 = await env.arm('DELETE', other.id)
    assert.ok(res0.status === 200 || res0.status === 202 || res0.status === 204, res0.text)
    const deleted = Date.now()
    const res = await refused(deleted, () => call('/?comp=list', { token: own }))
    assert.ok(res.status === 401 || res.status === 403, res.text)
    assert.ok(Date.now() - deleted <= 1100, `refused after ${Date.now() - deleted} ms`)
  })

  it('answers ResourceNotFound for an account that does not exist and after its deletion', async () => {
    const missing = await https(`${env.blobEndpoint}/nosuchaccount0/?comp=list`, {
      headers: { 'x-ms-version': VERSION, authorization: `Bearer ${token}` },
      ca: env.k.ca,
    })
    assertError(missing, 404, 'ResourceNotFound')
    const gone = await env.createAccount()
    await env.assign(vm.principalId, ROLES.contributor, gone.id)
    const url = `${env.accountUrl(gone.name)}/doomed?restype=container`
    const headers = { 'x-ms-version': VERSION, authorization: `Bearer ${token}` }
    const put = () => https(url, { method: 'PUT', headers, ca: env.k.ca })
    assert.equal((await granted(put, 201)).status, 201)
    const del = await env.arm('DELETE', gone.id)
    assert.ok(del.status < 300, del.text)
    assertError(await https(url, { headers, ca: env.k.ca }), 404, 'ResourceNotFound')
  })
})
