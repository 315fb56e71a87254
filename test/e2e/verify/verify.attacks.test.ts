// The verification library refuses every forged, stale, misdirected or foreign token, and
// remembers genuine ones only while they are valid.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createVerifier, KeylessVerifyError } from '../../../src/verify/index.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { appToken } from '../../helpers/tokens.js'
import { AUDIENCE, forgeries } from './verify.config.js'

describe('keyless/verify token checks', () => {
  let k: KeylessProcess
  let other: KeylessProcess
  let token: string
  const verifierFor = (p: KeylessProcess, extra: Record<string, unknown> = {}) =>
    createVerifier({
      authority: p.endpoints.authorityHost,
      tenantId: p.endpoints.tenantId,
      audience: AUDIENCE,
      ca: p.ca,
      ...extra,
    })

  before(async () => {
    ;[k, other] = await Promise.all([startKeyless(), startKeyless()])
    token = await appToken(k, AUDIENCE)
  })
  after(async () => Promise.all([k?.dispose(), other?.dispose()]))

  it('accepts a genuine token and names its principal', async () => {
    const caller = await verifierFor(k).verify(token)
    assert.equal(caller.appId, k.admin.clientId)
    assert.equal(caller.tenantId, k.endpoints.tenantId)
    assert.match(caller.objectId, /^[0-9a-f-]{36}$/)
  })

  it('refuses forged tokens', async () => {
    const v = verifierFor(k)
    for (const [name, forged] of await forgeries(k, token)) {
      await assert.rejects(v.verify(forged), (e: unknown) => {
        assert.ok(e instanceof KeylessVerifyError, name)
        assert.equal(e.code, 'ERR_KEYLESS_TOKEN_INVALID', name)
        assert.equal(e.status, 401, name)
        return true
      })
    }
  })

  it('refuses an expired token, even one it verified before', async () => {
    let now = Date.now()
    const v = verifierFor(k, { now: () => now })
    await v.verify(token)
    now += 2 * 3_600_000
    await assert.rejects(v.verify(token), { code: 'ERR_KEYLESS_TOKEN_EXPIRED' })
  })

  it('refuses a token that is not valid yet', async () => {
    const v = verifierFor(k, { now: () => Date.now() - 3_600_000 })
    await assert.rejects(v.verify(token), { code: 'ERR_KEYLESS_TOKEN_INVALID' })
  })

  it('refuses a token for another audience', async () => {
    await assert.rejects(verifierFor(k).verify(await appToken(k, 'api://billing')), {
      code: 'ERR_KEYLESS_TOKEN_AUDIENCE',
    })
  })

  it('refuses a token of another Keyless tenant', async () => {
    await assert.rejects(verifierFor(k).verify(await appToken(other, AUDIENCE)), {
      code: 'ERR_KEYLESS_TOKEN_INVALID',
    })
  })

  it('refuses a genuine token presented to a verifier of another issuer', async () => {
    const v = createVerifier({
      authority: k.endpoints.authorityHost,
      tenantId: other.endpoints.tenantId,
      audience: AUDIENCE,
      ca: k.ca,
    })
    await assert.rejects(v.verify(token), KeylessVerifyError)
  })

  it('refuses algorithms outside its allow-list', async () => {
    await assert.rejects(verifierFor(k, { algorithms: ['ES256'] }).verify(token), {
      code: 'ERR_KEYLESS_TOKEN_INVALID',
    })
  })

  it('answers 503, not 401, when Keyless cannot be reached', async () => {
    const v = createVerifier({
      authority: 'https://127.0.0.1:1',
      tenantId: k.endpoints.tenantId,
      audience: AUDIENCE,
      ca: k.ca,
    })
    await assert.rejects(v.verify(token), { code: 'ERR_KEYLESS_UNAVAILABLE', status: 503 })
  })
})
