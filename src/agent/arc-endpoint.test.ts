import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { call } from './test-http.js'
import {
  ARM,
  assertJson,
  assertTokenBody,
  PATH,
  UAI,
  VM,
  startFakeAgent,
  type FakeAgent,
} from './test-agent.js'

describe('Azure Arc endpoint', () => {
  let agent: FakeAgent
  before(async () => {
    agent = await startFakeAgent()
  })
  after(async () => agent?.close())
  const createRun = (resourceId: string, protocol: string) => agent.createRun(resourceId, protocol)
  let a1: Record<string, string>
  let a2: Record<string, string>
  before(async () => {
    a1 = (await createRun(VM, 'arc')).env
    a2 = (await createRun(VM, 'arc')).env
  })
  const url = (env: Record<string, string>, extra = '') =>
    `${env.IDENTITY_ENDPOINT}?api-version=2020-06-01&resource=${encodeURIComponent(ARM)}${extra}`
  const challenge = async (u: string) => {
    const a = await call(u, { headers: { Metadata: 'true' } })
    assert.equal(a.status, 401)
    const header = a.headers['www-authenticate'] as string
    const m = /^Basic realm=(\/\S+\.key)$/.exec(header)
    assert.ok(m, `unexpected challenge ${header}`)
    return m[1]!
  }
  const answer = (u: string, key: string) =>
    call(u, { headers: { Metadata: 'true', Authorization: `Basic ${key}` } })

  it('sets IDENTITY_ENDPOINT and IMDS_ENDPOINT for the run listener', () => {
    assert.equal(a1.IDENTITY_ENDPOINT, `${a1.IMDS_ENDPOINT}${PATH}`)
  })

  it('challenges with an unquoted realm naming a 0600 key file, then serves the key', async () => {
    const path = await challenge(url(a1))
    assert.equal(statSync(path).mode & 0o777, 0o600)
    assert.equal(statSync(join(agent.dir, 'tokens')).mode & 0o777, 0o700)
    const key = readFileSync(path, 'utf8')
    const body = assertTokenBody(await answer(url(a1), key))
    assert.equal(body.object_id, '22222222-2222-2222-2222-222222222222')
    assert.throws(() => statSync(path), 'the key file is deleted after use')
    const again = await answer(url(a1), key)
    assert.equal(again.status, 401)
    assert.equal(again.headers['www-authenticate'], undefined)
    assert.match(assertJson(again).error_description, /not valid/)
  })

  it('echoes the selector exactly as sent', async () => {
    const u = url(a1, `&msi_res_id=${encodeURIComponent(UAI.toUpperCase())}`)
    const key = readFileSync(await challenge(u), 'utf8')
    const body = assertTokenBody(await answer(u, key))
    assert.equal(body.msi_res_id, UAI.toUpperCase())
  })

  it('refuses a request without a key that the challenge gives no file for', async () => {
    const a = await call(url(a1), {
      headers: { Metadata: 'true', Authorization: 'Basic nothing' },
    })
    assert.equal(a.status, 401)
    assertJson(a)
  })

  it('refuses the key of another listener', async () => {
    const key = readFileSync(await challenge(url(a1)), 'utf8')
    const a = await answer(url(a2), key)
    assert.equal(a.status, 401)
    assert.match(assertJson(a).error_description, /another request/)
  })

  it('refuses a stale key', async () => {
    const key = readFileSync(await challenge(url(a1)), 'utf8')
    agent.clock.advance(61_000)
    const a = await answer(url(a1), key)
    assert.equal(a.status, 401)
    assert.match(assertJson(a).error_description, /expired/)
  })

  it('requires Metadata: true before challenging', async () => {
    const a = await call(url(a1))
    assert.equal(a.status, 400)
    assert.equal(a.headers['www-authenticate'], undefined)
  })
})
