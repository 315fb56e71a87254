// The server's /metrics after real traffic: a real `keyless up`, tokens asked for by the real
// @azure/identity ClientSecretCredential (issued, and refused for a wrong secret) and by a raw
// form (an unknown client), ARM calls from the real @azure/arm-msi client and from an
// application without roles; then a scrape read back and its counters compared with the scrape
// before. Who may scrape: RBAC's `Keyless/metrics/read` at `/` (Reader has it), nobody else.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { ClientSecretCredential } from '@azure/identity'
import { ManagedServiceIdentityClient } from '@azure/arm-msi'
import { addApplication, type Application } from '../../helpers/applications.js'
import { form, https } from '../../helpers/https.js'
import { parsePrometheus, type Scrape } from '../../helpers/prometheus.js'
import { LOCATION, startArm, type Arm } from '../arm/arm.config.js'
import { tokenEndpointPath } from '../../../src/common/agent-protocol.js'
import { BUILT_IN_ROLE_IDS } from '../../../src/domain/rbac/built-in-roles.js'

const MANAGEMENT_SCOPE = 'https://management.azure.com/.default'

describe('the server /metrics', () => {
  let arm: Arm
  let stranger: Application
  let msi: ManagedServiceIdentityClient
  const rg = 'metrics-rg'

  const credentialOf = (clientId: string, secret: string) =>
    new ClientSecretCredential(arm.tenantId, clientId, secret, {
      authorityHost: arm.k.endpoints.authorityHost,
      disableInstanceDiscovery: true,
    })

  async function scrape(token = arm.operatorToken): Promise<Scrape> {
    const res = await https(`${arm.base}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      ca: arm.k.ca,
    })
    assert.equal(res.status, 200, res.text)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    return parsePrometheus(res.text)
  }

  before(async () => {
    arm = await startArm()
    stranger = await addApplication(() => arm.openStore(), arm.tenantId)
    msi = new ManagedServiceIdentityClient(
      credentialOf(arm.k.admin.clientId, arm.k.admin.clientSecret),
      arm.subscriptionId,
      { endpoint: arm.base, credentialScopes: [MANAGEMENT_SCOPE] },
    )
    const res = await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })
    assert.equal(res.status, 201, res.text)
  })
  after(async () => arm?.dispose())

  it('is refused without a token and to a caller without Keyless/metrics/read', async () => {
    const anonymous = await https(`${arm.base}/metrics`, { ca: arm.k.ca })
    assert.equal(anonymous.status, 401, anonymous.text)
    assert.equal(anonymous.json().error.code, 'AuthenticationFailed')
    const token = await arm.tokenFor(stranger.appId, stranger.secret)
    const refused = await https(`${arm.base}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      ca: arm.k.ca,
    })
    assert.equal(refused.status, 403)
    assert.equal(refused.json().error.code, 'AuthorizationFailed')
    assert.match(refused.json().error.message, /'Keyless\/metrics\/read' over scope '\/'/)
    assert.doesNotMatch(refused.text, /keyless_/)
  })

  it('is readable by a Reader at the root scope, a role that can change nothing', async () => {
    const reader = await addApplication(() => arm.openStore(), arm.tenantId)
    const id = `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
    const res = await arm.request('PUT', id, {
      apiVersion: '2022-04-01',
      body: {
        properties: {
          roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLE_IDS.reader}`,
          principalId: reader.objectId,
          principalType: 'ServicePrincipal',
        },
      },
    })
    assert.equal(res.status, 201, res.text)
    const s = await scrape(await arm.tokenFor(reader.appId, reader.secret))
    assert.equal(s.types.keyless_tokens_issued_total, 'counter')
    assert.equal(s.types.keyless_token_request_duration_seconds, 'histogram')
  })

  it('counts tokens issued and refused by reason, each with its latency', async () => {
    const before = await scrape()
    const admin = credentialOf(arm.k.admin.clientId, arm.k.admin.clientSecret)
    assert.ok((await admin.getToken(MANAGEMENT_SCOPE)).token)
    const wrong = credentialOf(arm.k.admin.clientId, 'not-the-secret')
    await assert.rejects(wrong.getToken(MANAGEMENT_SCOPE), /AADSTS7000215/)
    const unknown = await https(
      `${arm.k.endpoints.authorityHost}${tokenEndpointPath(arm.tenantId, 'v1')}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'client_credentials',
          client_id: randomUUID(),
          client_secret: 'x',
          resource: 'https://management.azure.com/',
        }),
        ca: arm.k.ca,
      },
    )
    assert.equal(unknown.status, 400)
    const now = await scrape()
    const delta = (name: string, labels?: Record<string, string>) =>
      now.value(name, labels) - before.value(name, labels)
    assert.equal(delta('keyless_tokens_issued_total', { version: 'v2' }), 1)
    assert.equal(delta('keyless_tokens_issued_total', { version: 'v1' }), 0)
    assert.equal(
      delta('keyless_tokens_refused_total', { reason: 'invalid_client', aadsts: '7000215' }),
      1,
    )
    assert.equal(
      delta('keyless_tokens_refused_total', { reason: 'unauthorized_client', aadsts: '700016' }),
      1,
    )
    assert.equal(delta('keyless_tokens_refused_total'), 2)
    const count = 'keyless_token_request_duration_seconds_count'
    assert.equal(delta(count, { outcome: 'issued' }), 1)
    assert.equal(delta(count, { outcome: 'refused' }), 2)
    const infinite = { outcome: 'refused', le: '+Inf' }
    assert.equal(delta('keyless_token_request_duration_seconds_bucket', infinite), 2)
    assert.ok(delta('keyless_token_request_duration_seconds_sum', { outcome: 'issued' }) > 0)
  })

  it('counts ARM answers by method and status, and the RBAC decisions behind them', async () => {
    const token = await arm.tokenFor(stranger.appId, stranger.secret)
    const before = await scrape()
    await msi.userAssignedIdentities.createOrUpdate(rg, 'metrics-identity', { location: LOCATION })
    await assert.rejects(msi.userAssignedIdentities.get(rg, 'absent'), { statusCode: 404 })
    const refused = await arm.request('GET', arm.group(rg), { token })
    assert.equal(refused.status, 403, refused.text)
    const now = await scrape()
    const delta = (name: string, labels?: Record<string, string>) =>
      now.value(name, labels) - before.value(name, labels)
    assert.equal(delta('keyless_arm_requests_total', { method: 'PUT', status: '201' }), 1)
    assert.equal(delta('keyless_arm_requests_total', { method: 'GET', status: '404' }), 1)
    assert.equal(delta('keyless_arm_requests_total', { method: 'GET', status: '403' }), 1)
    assert.equal(delta('keyless_arm_requests_total'), 3, 'the scrapes are not ARM requests')
    const denied = { decision: 'denied', plane: 'control' }
    assert.equal(delta('keyless_rbac_decisions_total', denied), 1)
    // The operator's two calls and the second scrape's own check, at least.
    assert.ok(delta('keyless_rbac_decisions_total', { decision: 'allowed' }) >= 3)
    assert.equal(delta('keyless_rbac_decisions_total', { plane: 'data' }), 0)
  })

  it('follows the change feed: its position and how long each change took to arrive', async () => {
    const before = await scrape()
    await msi.userAssignedIdentities.createOrUpdate(rg, 'second-identity', { location: LOCATION })
    const now = await scrape()
    assert.ok(
      now.value('keyless_change_feed_position') > before.value('keyless_change_feed_position'),
    )
    const lagged = (s: Scrape) => s.value('keyless_change_feed_lag_seconds_count')
    assert.ok(lagged(now) > lagged(before))
    // Read-your-writes: the write's answer waited for the feed, so the lag is below a second.
    const withinASecond = (s: Scrape) =>
      s.value('keyless_change_feed_lag_seconds_bucket', { le: '1' })
    assert.equal(withinASecond(now) - withinASecond(before), lagged(now) - lagged(before))
    assert.equal(now.value('keyless_store_errors_total'), 0)
  })
})
