// The sign-in and activity logs of a real `keyless up`: every token request (the operator's
// client-credentials tokens, a VM's managed-identity tokens through the local agent and the real
// SDK, refusals) and every control-plane write (refused ones too) are recorded with their
// fields; the stock @azure/arm-monitor client lists the activity log; the CLI queries, exports
// and verifies; a record edited in the database is caught; and when the sign-in log cannot be
// written no token is issued.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { BIN } from '../../helpers/keyless.js'
import { ClientSecretCredential } from '@azure/identity'
import { MonitorClient } from '@azure/arm-monitor'
import { form, https } from '../../helpers/https.js'
import { tokenEndpointPath } from '../../../src/common/agent-protocol.js'
import { LOCATION, startArm, type Arm } from '../arm/arm.config.js'
import { management, sdkTokens } from '../agent/agent.config.js'
import { cliFor, explain, ok } from '../cli/cli.config.js'

const payloadOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))

describe('sign-in and activity logs of keyless up', () => {
  let arm: Arm
  let cli: ReturnType<typeof cliFor>
  let db: () => Database.Database
  const rg = `logs-${randomUUID().slice(0, 8)}`
  let vmId = ''

  const tokenRequest = (secret: string) =>
    https(`${arm.k.endpoints.authorityHost}${tokenEndpointPath(arm.tenantId)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'client_credentials',
        client_id: arm.k.admin.clientId,
        client_secret: secret,
        scope: 'https://vault.azure.net/.default',
      }),
      ca: arm.k.ca,
    })

  before(async () => {
    arm = await startArm()
    cli = cliFor(arm.k.dataDir)
    db = () => new Database(join(arm.k.dataDir, 'keyless.db'))
    const res = await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })
    assert.equal(res.status, 201, res.text)
  })
  after(async () => arm?.dispose())

  it("records the operator's issued token with principal, client id, audience and token id", async () => {
    const uti = payloadOf(arm.operatorToken).uti
    const entries = ok(await cli('logs', 'signins', '--identity', arm.k.admin.clientId)).json()
    const entry = entries.find((e: any) => e.uniqueTokenIdentifier === uti)
    assert.ok(entry, JSON.stringify(entries))
    assert.equal(entry.appId, arm.k.admin.clientId)
    assert.equal(entry.servicePrincipalId, payloadOf(arm.operatorToken).oid)
    assert.equal(entry.resourceId, 'https://management.azure.com')
    assert.equal(entry.protocol, 'oauth2/v2')
    assert.equal(entry.source, 'server')
    assert.deepEqual(entry.status, { errorCode: 0 })
    assert.equal(typeof entry.latencyMs, 'number')
    assert.match(entry.createdDateTime, /^\d{4}-\d\d-\d\dT/)
    assert.match(entry.correlationId, /^[0-9a-f-]{36}$/)
  })

  it('records a refused request with its AADSTS code, OAuth error and reason', async () => {
    const res = await tokenRequest('wrong-secret')
    assert.equal(res.status, 401, res.text)
    const refused = ok(
      await cli('logs', 'signins', '--identity', arm.k.admin.clientId, '--result', 'refused'),
    ).json()
    assert.equal(refused.length, 1, JSON.stringify(refused))
    assert.equal(refused[0].status.errorCode, 7000215)
    assert.equal(refused[0].status.additionalDetails, 'invalid_client')
    assert.match(refused[0].status.failureReason, /Invalid client secret/)
    assert.equal(refused[0].resourceId, 'https://vault.azure.net')
  })

  it("records a VM's managed-identity token with the identity, the VM and the host", async () => {
    const m = management(arm.k, arm.operatorToken)
    const vm = await m.putVm(arm.group(rg), 'vm-logs', { system: true })
    vmId = vm.id
    const [result] = await sdkTokens(['--as', vm.id, '--data-dir', arm.k.dataDir], [{ sdk: 'mic' }])
    assert.ok(result?.token, JSON.stringify(result))
    const uti = payloadOf(result.token).uti
    const entries = ok(await cli('logs', 'signins', '--identity', vm.principalId!)).json()
    const entry = entries.find((e: any) => e.uniqueTokenIdentifier === uti)
    assert.ok(entry, JSON.stringify(entries))
    assert.equal(entry.servicePrincipalId, vm.principalId)
    assert.deepEqual(entry.managedServiceIdentity, {
      msiType: 'systemAssigned',
      associatedResourceId: vm.id,
    })
    assert.equal(entry.callerResourceId, vm.id)
    assert.equal(typeof entry.hostId, 'string')
    assert.equal(entry.resourceId, 'https://vault.azure.net')
    // The identity resource id finds it too, in any casing.
    const byResource = ok(await cli('logs', 'signins', '--identity', vm.id.toUpperCase())).json()
    assert.ok(byResource.some((e: any) => e.uniqueTokenIdentifier === uti))
  })

  it('records every control-plane write, refused ones included, with action and correlation', async () => {
    const correlation = randomUUID()
    const id = arm.identity(rg, 'Logged-Identity')
    const put = await arm.request('PUT', id, {
      body: { location: LOCATION },
      headers: { 'x-ms-correlation-request-id': correlation },
    })
    assert.equal(put.status, 201, put.text)
    const bad = await arm.request('PUT', arm.group('Bad Name!'), { body: { location: LOCATION } })
    assert.equal(bad.status, 400, bad.text)
    const anonymous = await arm.request('DELETE', id, { token: null })
    assert.equal(anonymous.status, 401)

    const mine = ok(await cli('logs', 'activity', '--correlation-id', correlation)).json()
    assert.equal(mine.length, 1)
    assert.equal(mine[0].operationName, 'Microsoft.ManagedIdentity/userAssignedIdentities/write')
    assert.equal(mine[0].scope, id)
    assert.equal(mine[0].status, 'Succeeded')
    assert.equal(mine[0].httpStatusCode, 201)
    assert.equal(mine[0].caller, payloadOf(arm.operatorToken).oid)
    assert.equal(mine[0].resourceGroupName, rg)

    const failed = ok(await cli('logs', 'activity', '--result', 'failed', '--since', '5m')).json()
    const refusedPut = failed.find((e: any) => e.scope.endsWith('/resourceGroups/Bad Name!'))
    assert.ok(refusedPut, JSON.stringify(failed))
    assert.equal(refusedPut.httpStatusCode, 400)
    assert.equal(typeof refusedPut.errorCode, 'string')
    const refusedDelete = failed.find((e: any) => e.httpMethod === 'DELETE' && e.scope === id)
    assert.ok(refusedDelete, JSON.stringify(failed))
    assert.equal(refusedDelete.caller, undefined)
    assert.equal(
      refusedDelete.operationName,
      'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
    )
    assert.equal(refusedDelete.errorCode, 'AuthenticationFailed')
  })

  it('lists the activity log through the stock @azure/arm-monitor client, with its $filter', async () => {
    const { endpoints, admin } = arm.k
    const credential = new ClientSecretCredential(
      endpoints.tenantId,
      admin.clientId,
      admin.clientSecret,
      {
        authorityHost: endpoints.authorityHost,
        disableInstanceDiscovery: true,
      },
    )
    const client = new MonitorClient(credential, endpoints.subscriptionId, {
      endpoint: endpoints.managementEndpoint,
      credentials: { scopes: ['https://management.azure.com/.default'] },
    })
    const from = new Date(Date.now() - 10 * 60_000).toISOString()
    const to = new Date(Date.now() + 60_000).toISOString()
    const events = []
    for await (const e of client.activityLogs.list(
      `eventTimestamp ge '${from}' and eventTimestamp le '${to}' and resourceGroupName eq '${rg}'`,
    )) {
      events.push(e)
    }
    const identityWrite = events.find(
      (e) =>
        e.resourceId === arm.identity(rg, 'Logged-Identity') && e.httpRequest?.method === 'PUT',
    )
    assert.ok(identityWrite, JSON.stringify(events))
    assert.equal(
      identityWrite.operationName?.value,
      'Microsoft.ManagedIdentity/userAssignedIdentities/write',
    )
    assert.equal(identityWrite.status?.value, 'Succeeded')
    assert.equal(identityWrite.category?.value, 'Administrative')
    assert.ok(identityWrite.eventTimestamp instanceof Date)
    assert.equal(identityWrite.subscriptionId, endpoints.subscriptionId)
    assert.equal(identityWrite.authorization?.action, identityWrite.operationName?.value)
    assert.ok(events.every((e) => e.resourceGroupName?.toLowerCase() === rg.toLowerCase()))

    const byCorrelation = []
    for await (const e of client.activityLogs.list(
      `eventTimestamp ge '${from}' and correlationId eq '${identityWrite.correlationId}'`,
    )) {
      byCorrelation.push(e)
    }
    assert.deepEqual(
      byCorrelation.map((e) => e.eventDataId),
      [identityWrite.eventDataId],
    )

    await assert.rejects(
      (async () => {
        for await (const _ of client.activityLogs.list(`resourceGroupName eq '${rg}'`)) break
      })(),
      { statusCode: 400, code: 'InvalidFilter' },
    )
  })

  it('refuses bad query parameters in the ARM envelope, and readers without the role', async () => {
    const base = arm.k.endpoints.managementEndpoint
    const get = (path: string, token = arm.operatorToken) =>
      https(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, ca: arm.k.ca })
    for (const [query, message] of [
      ['since=yesterday', /'since' must be an ISO 8601 time/],
      ['result=maybe', /'result' must be one of/],
      ['limit=-1', /'limit' must be a non-negative integer/],
      ['since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z', /'until' is before 'since'/],
    ] as const) {
      const res = await get(`/keyless/v1/logs/signIns?${query}`)
      assert.equal(res.status, 400, res.text)
      assert.equal(res.json().error.code, 'InvalidQueryParameter')
      assert.match(res.json().error.message, message)
    }
    const anonymous = await https(`${base}/keyless/v1/logs/activity`, { ca: arm.k.ca })
    assert.equal(anonymous.status, 401)
    // A VM's identity with no role anywhere may not read either log.
    const [vmToken] = await sdkTokens(
      ['--as', vmId, '--data-dir', arm.k.dataDir],
      [{ sdk: 'mic' }],
      'https://management.azure.com/',
    )
    const token = vmToken!.token!
    assert.ok(token, JSON.stringify(vmToken))
    const denied = await get('/keyless/v1/logs/signIns', token)
    assert.equal(denied.status, 403, denied.text)
    assert.equal(denied.json().error.code, 'AuthorizationFailed')
    const monitor = await get(
      `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter=${encodeURIComponent("eventTimestamp ge '2026-01-01T00:00:00Z'")}`,
      token,
    )
    assert.equal(monitor.status, 403, monitor.text)
  })

  it('follows the sign-in log: a token issued after the start appears as a new JSON line', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'logs',
        'signins',
        '--follow',
        '--limit',
        '1',
        '--data-dir',
        arm.k.dataDir,
        '-o',
        'json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    try {
      const lines = () => out.split('\n').filter((l) => l.trim() !== '')
      for (let i = 0; i < 200 && lines().length < 1; i++) await sleep(25)
      assert.equal(lines().length, 1, out)
      const res = await tokenRequest(arm.k.admin.clientSecret)
      assert.equal(res.status, 200, res.text)
      const uti = payloadOf(res.json().access_token).uti
      for (let i = 0; i < 200 && !out.includes(uti); i++) await sleep(25)
      const followed = lines().map((l) => JSON.parse(l))
      assert.ok(
        followed.some((e) => e.uniqueTokenIdentifier === uti),
        out,
      )
      assert.ok(followed[followed.length - 1].seq > followed[0].seq)
    } finally {
      child.kill()
    }
  })

  it('exports a log as JSON lines, oldest first', async () => {
    const r = ok(await cli('logs', 'export', 'activity'))
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.ok(lines.length >= 4)
    const seqs = lines.map((l) => l.seq)
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    )
  })

  it('verifies both chains, and names the record edited in the database', async () => {
    const sound = ok(await cli('logs', 'verify')).json()
    assert.equal(sound.signIns.ok, true)
    assert.equal(sound.activity.ok, true)
    const d = db()
    try {
      const row = d
        .prepare("select seq, record from sign_ins where result = 'failure' order by seq limit 1")
        .get() as { seq: number; record: string }
      const edited = row.record.replace('"errorCode":7000215', '"errorCode":0')
      d.prepare('update sign_ins set record = ? where seq = ?').run(edited, row.seq)
      const r = await cli('logs', 'verify')
      assert.equal(r.code, 1, explain(r))
      assert.match(
        r.stderr,
        new RegExp(`the signIns log is broken at entry ${row.seq} \\(.+\\): hash`),
      )
      d.prepare('update sign_ins set record = ? where seq = ?').run(row.record, row.seq)
    } finally {
      d.close()
    }
    ok(await cli('logs', 'verify'))
  })

  it('issues no token when its sign-in record cannot be written: 503 with Retry-After', async () => {
    const d = db()
    try {
      d.exec(
        "create trigger refuse_sign_ins before insert on sign_ins begin select raise(abort, 'refused by the test'); end",
      )
      const res = await tokenRequest(arm.k.admin.clientSecret)
      assert.equal(res.status, 503, res.text)
      assert.equal(res.json().error, 'temporarily_unavailable')
      assert.equal(res.json().access_token, undefined)
      assert.ok(Number(res.headers['retry-after']) >= 1)
    } finally {
      d.exec('drop trigger if exists refuse_sign_ins')
      d.close()
    }
    const again = await tokenRequest(arm.k.admin.clientSecret)
    assert.equal(again.status, 200, again.text)
    ok(await cli('logs', 'verify'))
  })
})
