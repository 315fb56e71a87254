// The change stream from the attacker's side: an enrolled host (B) that reads the stream from
// the start of the log learns nothing of another host's (A's) resources, principals or role
// assignments, while A receives what its agent acts on and the operator's stream stays complete.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:https'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { arm, assignRole, unassignRole } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { assertion, enroll, type TestHost } from './hosts.config.js'

const VM_API = 'api-version=2024-07-01'
const MI_API = 'api-version=2024-11-30'
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

/** The stream's text from the start of the log until `done` holds of it (or 5 s pass). */
async function readStream(
  url: string,
  authorization: string,
  ca: string,
  done: (text: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const req = request(`${url}?after=0`, { headers: { authorization }, ca })
    const timer = setTimeout(() => finish(), 5000)
    function finish() {
      clearTimeout(timer)
      req.destroy()
      resolve(text)
    }
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`events: ${res.statusCode}`))
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
        if (done(text)) finish()
      })
    })
    req.on('error', (e) => (text ? resolve(text) : reject(e)))
    req.end()
  })
}

describe('host change streams', () => {
  let k: KeylessProcess
  let call: ReturnType<typeof arm>
  let a: TestHost
  let b: TestHost
  let operator: string
  const secrets: string[] = []
  let vmA: string
  let vmB: string

  before(async () => {
    k = await startKeyless()
    operator = await operatorToken(k)
    call = arm(k, operator)
    const joinToken = async () =>
      (await call('POST', '/keyless/v1/joinTokens')).json().token as string
    a = await enroll(k, await joinToken())
    b = await enroll(k, await joinToken())
    const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/events-rg`
    await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
    const uami = await call(
      'PUT',
      `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/secret-app?${MI_API}`,
      { location: 'eastus' },
    )
    const uamiId = uami.json().id as string
    vmA = `${rg}/providers/Microsoft.Compute/virtualMachines/payroll-db`
    const created = await call('PUT', `${vmA}?${VM_API}`, {
      location: 'eastus',
      properties: { hostId: a.hostId },
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uamiId]: {} } },
    })
    assert.equal(created.status, 201, created.text)
    const principal = created.json().identity.principalId as string
    const assignment = await assignRole(call, k.endpoints.subscriptionId, {
      scope: vmA,
      role: READER,
      principalId: principal,
    })
    await unassignRole(call, assignment)
    // Detach, then delete: every event kind an agent acts on, all about host A.
    const detached = await call('PATCH', `${vmA}?${VM_API}`, {
      identity: { userAssignedIdentities: { [uamiId]: null } },
    })
    assert.equal(detached.status, 200, detached.text)
    await call('DELETE', `${vmA}?${VM_API}`)
    secrets.push('payroll-db', 'secret-app', principal, assignment.split('/').pop()!, a.hostId)
    // B's own resource, deleted last: its event marks the end of what B can be sent.
    vmB = `${rg}/providers/Microsoft.Compute/virtualMachines/b-marker`
    await call('PUT', `${vmB}?${VM_API}`, { location: 'eastus', properties: { hostId: b.hostId } })
    await call('DELETE', `${vmB}?${VM_API}`)
  })
  after(async () => k?.dispose())

  const stream = async (host: TestHost) =>
    readStream(host.eventsUrl, `Bearer ${await assertion(host, host.eventsUrl)}`, k.ca, (t) =>
      t.toLowerCase().includes('b-marker'),
    )

  it("does not show host B another host's resources, principals or role assignments", async () => {
    const seen = (await stream(b)).toLowerCase()
    assert.ok(seen.includes('b-marker'), 'B receives its own resource events')
    for (const secret of secrets) {
      assert.ok(!seen.includes(secret.toLowerCase()), `host B saw '${secret}':\n${seen}`)
    }
    assert.doesNotMatch(seen, /event: (roleAssignment|resourceGroup|principal\.created)/)
  })

  it('sends host A what its agent acts on about its own resources', async () => {
    const kinds = (
      await readStream(a.eventsUrl, `Bearer ${await assertion(a, a.eventsUrl)}`, k.ca, (t) =>
        t.includes('event: resource.deleted'),
      )
    )
      .split('\n')
      .filter((l) => l.startsWith('event: '))
    for (const kind of [
      'identity.detached',
      'principal.deleted',
      'resource.deleted',
      'host.enrolled',
    ]) {
      assert.ok(kinds.includes(`event: ${kind}`), `A missed ${kind}: ${kinds.join(', ')}`)
    }
    assert.ok(!kinds.some((l) => l.includes('roleAssignment')))
  })

  it("keeps the operator's stream complete", async () => {
    const seen = await readStream(
      a.eventsUrl,
      `Bearer ${operator}`,
      k.ca,
      (t) => t.toLowerCase().split('b-marker').length > 2,
    )
    for (const kind of [
      'roleAssignment.deleted',
      'principal.created',
      'identity.attached',
      'host.enrolled',
    ]) {
      assert.ok(seen.includes(`event: ${kind}`), `the operator missed ${kind}`)
    }
    assert.ok(seen.toLowerCase().includes('payroll-db'))
  })
})
