// What az's cloud registration and sign-in ask of Keyless, over the wire without az (az itself
// runs in az.journey.test.ts): the cloud metadata document in each api-version's shape, the AD FS
// authority's discovery and a token through the endpoint it names, and the two Graph calls az
// makes to resolve `--assignee` (servicePrincipalNames filter, directoryObjects/getByIds).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { form, https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'

describe('az wire: cloud metadata, AD FS sign-in, Graph lookups', () => {
  let k: KeylessProcess
  let base: string
  let token: string
  const get = (path: string) => https(`${base}${path}`, { ca: k.ca })
  const graph = (method: string, path: string, body?: unknown) =>
    https(`${base}${path}`, {
      method,
      ca: k.ca,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })

  before(async () => {
    k = await startKeyless()
    base = k.endpoints.managementEndpoint.replace(/\/$/, '')
    token = await operatorToken(k)
  })
  after(async () => k?.dispose())

  it('serves the metadata document unauthenticated, shaped by api-version', async () => {
    const legacy = await get('/metadata/endpoints?api-version=2015-01-01')
    assert.equal(legacy.status, 200, legacy.text)
    assert.equal(legacy.json().authentication.loginEndpoint, `${base}/adfs`)
    assert.equal(legacy.json().graphEndpoint, `${base}/`)
    const list = await get('/metadata/endpoints?api-version=2019-05-01')
    assert.equal(list.json()[0].name, 'Keyless')
    const one = await get('/metadata/endpoints?api-version=2022-09-01')
    assert.equal(one.json().resourceManager, `${base}/`)
    assert.equal(one.json().microsoftGraphResourceId, `${base}/`)
    assert.deepEqual(one.json().authentication.audiences, [
      'https://management.azure.com/',
      'https://management.core.windows.net/',
    ])
    // msrestazure appends the path to an ARM URL typed with its trailing slash.
    const slash = await get('//metadata/endpoints?api-version=2015-01-01')
    assert.deepEqual(slash.json(), legacy.json())
  })

  it('refuses a missing or malformed api-version in ARM’s envelope', async () => {
    const none = await get('/metadata/endpoints')
    assert.equal(none.status, 400)
    assert.equal(none.json().error.code, 'MissingApiVersionParameter')
    const bad = await get('/metadata/endpoints?api-version=yesterday')
    assert.equal(bad.status, 400)
    assert.equal(bad.json().error.code, 'InvalidApiVersionParameter')
  })

  it('AD FS discovery names a token endpoint that issues the operator a management token', async () => {
    const doc = await get('/adfs/.well-known/openid-configuration')
    assert.equal(doc.status, 200)
    const tokenEndpoint = doc.json().token_endpoint as string
    // MSAL takes the tenant from the token endpoint's first path segment.
    assert.equal(new URL(tokenEndpoint).pathname.split('/')[1], k.endpoints.tenantId)
    assert.ok(doc.json().authorization_endpoint)
    const res = await https(tokenEndpoint, {
      method: 'POST',
      ca: k.ca,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'client_credentials',
        client_id: k.admin.clientId,
        client_secret: k.admin.clientSecret,
        scope: 'https://management.azure.com//.default',
      }),
    })
    assert.equal(res.status, 200, res.text)
    const arm = await https(`${base}/subscriptions?api-version=2022-12-01`, {
      ca: k.ca,
      headers: { authorization: `Bearer ${res.json().access_token}` },
    })
    assert.equal(arm.status, 200, arm.text)
  })

  it('finds a service principal by servicePrincipalNames/any and by getByIds', async () => {
    const me = await graph(
      'GET',
      `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${k.admin.clientId}'`)}`,
    )
    const objectId = me.json().value[0].id as string
    const spn = await graph(
      'GET',
      `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`servicePrincipalNames/any(c:c eq '${k.admin.clientId}')`)}`,
    )
    assert.equal(spn.status, 200, spn.text)
    assert.deepEqual(
      spn.json().value.map((p: { id: string }) => p.id),
      [objectId],
    )
    const none = await graph(
      'GET',
      `/v1.0/servicePrincipals?$filter=${encodeURIComponent("servicePrincipalNames/any(c:c eq 'nobody')")}`,
    )
    assert.deepEqual(none.json().value, [])

    const unknown = '00000000-0000-4000-8000-000000000000'
    const byIds = await graph('POST', '/v1.0/directoryObjects/getByIds', {
      ids: [objectId, unknown],
      types: ['user', 'group', 'servicePrincipal', 'directoryObjectPartnerReference'],
    })
    assert.equal(byIds.status, 200, byIds.text)
    assert.deepEqual(
      byIds.json().value.map((o: Record<string, string>) => [o['@odata.type'], o.id, o.appId]),
      [['#microsoft.graph.servicePrincipal', objectId, k.admin.clientId]],
    )
    const usersOnly = await graph('POST', '/v1.0/directoryObjects/getByIds', {
      ids: [objectId],
      types: ['user'],
    })
    assert.deepEqual(usersOnly.json().value, [])
  })

  it('refuses a bad getByIds body in Graph’s format', async () => {
    for (const body of ['{', { ids: 'x' }, { ids: ['not-a-guid'] }, { ids: [], types: [1] }]) {
      const res = await graph('POST', '/v1.0/directoryObjects/getByIds', body)
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`)
      assert.ok(res.json().error.code, res.text)
      assert.ok(res.json().error.innerError, res.text)
    }
    const anonymous = await https(`${base}/v1.0/directoryObjects/getByIds`, {
      method: 'POST',
      ca: k.ca,
      headers: { 'content-type': 'application/json' },
      body: '{"ids":[]}',
    })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.json().error.code, 'InvalidAuthenticationToken')
  })
})
