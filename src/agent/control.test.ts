import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { VM, startFakeAgent, type FakeAgent } from './test-agent.js'

describe('control API', () => {
  let agent: FakeAgent
  before(async () => {
    agent = await startFakeAgent()
  })
  after(async () => agent?.close())
  const control = (method: string, path: string, body?: object) => agent.control(method, path, body)
  it('is a 0600 socket', () => {
    assert.equal(statSync(agent.serving.control.socketPath).mode & 0o777, 0o600)
  })

  it('refuses a resource id that is not a resource, and unknown protocols', async () => {
    const bad = await control('POST', '/runs', {
      resourceId: '/subscriptions/s1',
      protocol: 'imds',
    })
    assert.equal(bad.status, 400)
    assert.equal(bad.json().error.code, 'InvalidResourceId')
    const proto = await control('POST', '/runs', { resourceId: VM, protocol: 'ftp' })
    assert.equal(proto.status, 400)
  })

  it('answers 404 for an unknown run', async () => {
    const a = await control('DELETE', '/runs/nope')
    assert.equal(a.status, 404)
  })

  it('creates, lists and deletes runs, and reports status', async () => {
    const created = await control('POST', '/runs', {
      resourceId: VM.toUpperCase(),
      protocol: 'imds',
    })
    assert.equal(created.status, 201)
    const run = created.json()
    assert.equal(run.protocol, 'imds')
    assert.match(run.id, /^[0-9a-f-]{36}$/)
    assert.deepEqual(Object.keys(run.env), ['AZURE_POD_IDENTITY_AUTHORITY_HOST'])
    const listed = (await control('GET', '/runs')).json().value
    assert.deepEqual(
      listed.map((r: { id: string }) => r.id),
      [run.id],
    )
    assert.equal(listed[0].env, undefined, 'listings never show a run environment')
    const status = (await control('GET', '/status')).json()
    assert.equal(status.identityEndpoint, agent.serving.identityEndpoint)
    assert.equal((await control('DELETE', `/runs/${run.id}`)).status, 204)
    assert.equal((await control('GET', '/runs')).json().value.length, 0)
  })

  it('refuses a second agent on the same state directory', async () => {
    await assert.rejects(startFakeAgent({ dir: agent.dir }), /another agent is running/)
  })
})
