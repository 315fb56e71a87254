// The portal's sign-in over real HTTPS against a real `keyless up`: `keyless portal` prints a
// one-time link; redeeming it sets a __Host- cookie (HttpOnly, Secure, SameSite=Strict) once;
// cookie-authenticated writes need the page's Origin and the CSRF token; the session's bearer
// tokens (10 min, recorded in the sign-in log) act with the session principal's RBAC on ARM:
// the operator may write, a Reader identity (a link minted with --as) may only read; minting a
// link for someone else needs Keyless/portal/links/write; signing out ends the session.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { https, type HttpResult } from '../../helpers/https.js'
import { assignRole } from '../../helpers/arm.js'
import { BUILT_IN_ROLE_IDS } from '../../../src/domain/rbac/built-in-roles.js'
import { LOCATION, startArm, type Arm } from '../arm/arm.config.js'
import { cliFor, explain, ok } from '../cli/cli.config.js'

const payloadOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))

describe('portal sign-in and sessions', () => {
  let arm: Arm
  let cli: ReturnType<typeof cliFor>
  let origin = ''
  const rg = `portal-${randomUUID().slice(0, 8)}`
  let readerId = ''

  const post = (
    path: string,
    o: { cookie?: string; csrf?: string; origin?: string; body?: unknown } = {},
  ) =>
    https(`${origin}${path}`, {
      method: 'POST',
      headers: {
        ...(o.body !== undefined && { 'content-type': 'application/json' }),
        ...(o.cookie && { cookie: o.cookie }),
        ...(o.csrf && { 'x-keyless-csrf': o.csrf }),
        origin: o.origin ?? origin,
      },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      ca: arm.k.ca,
    })
  const codeOf = (url: string) => new URL(url).hash.replace(/^#sign-in=/, '')
  const cookieOf = (res: HttpResult) => String(res.headers['set-cookie']).split(';')[0]!

  async function signIn(...args: string[]) {
    const link = ok(await cli('portal', ...args)).json()
    const res = await post('/portal/api/sign-in', { body: { code: codeOf(link.url) } })
    assert.equal(res.status, 200, res.text)
    return { link, res, cookie: cookieOf(res), csrf: res.json().csrfToken as string }
  }
  async function tokenOf(s: { cookie: string; csrf: string }) {
    const res = await post('/portal/api/token', { cookie: s.cookie, csrf: s.csrf })
    assert.equal(res.status, 200, res.text)
    return res.json().accessToken as string
  }

  before(async () => {
    arm = await startArm()
    cli = cliFor(arm.k.dataDir)
    origin = new URL(arm.base).origin
    assert.equal(
      (await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })).status,
      201,
    )
    const id = await arm.request('PUT', arm.identity(rg, 'reader'), {
      body: { location: LOCATION },
    })
    assert.equal(id.status, 201, id.text)
    readerId = id.json().properties.principalId
    const call = (method: string, path: string, body?: unknown) =>
      arm.request(method, path, { body, apiVersion: null })
    await assignRole(call, arm.subscriptionId, {
      scope: `/subscriptions/${arm.subscriptionId}`,
      role: BUILT_IN_ROLE_IDS.reader,
      principalId: readerId,
    })
  })
  after(async () => arm?.dispose())

  it('prints a link whose code is in the fragment and that expires in 5 minutes', async () => {
    const r = ok(await cli('portal', '-o', 'table'))
    assert.match(r.stdout, /^https:\/\/.+\/portal\/#sign-in=[A-Za-z0-9_-]{43}\n/)
    const link = ok(await cli('portal')).json()
    const left = Date.parse(link.expiresAt) - Date.now()
    assert.ok(left > 4 * 60_000 && left <= 5 * 60_000, link.expiresAt)
    assert.equal(link.principalId, payloadOf(arm.operatorToken).oid)
  })

  it('redeems a link once, into a __Host- cookie that is HttpOnly, Secure and SameSite=Strict', async () => {
    const { link, res } = await signIn()
    const cookie = String(res.headers['set-cookie'])
    assert.match(cookie, /^__Host-keyless-portal=[A-Za-z0-9_-]{43}; /)
    for (const attr of ['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict']) {
      assert.ok(cookie.split('; ').includes(attr), cookie)
    }
    assert.doesNotMatch(cookie, /Domain=/i)
    const again = await post('/portal/api/sign-in', { body: { code: codeOf(link.url) } })
    assert.equal(again.status, 401)
    assert.equal(again.json().error.code, 'SignInLinkInvalid')
    const junk = await post('/portal/api/sign-in', { body: { code: 'x'.repeat(43) } })
    assert.equal(junk.status, 401)
    const cross = await post('/portal/api/sign-in', {
      body: { code: codeOf(ok(await cli('portal')).json().url) },
      origin: 'https://evil.example',
    })
    assert.equal(cross.status, 403)
    assert.equal(cross.json().error.code, 'CrossOriginRequest')
  })

  it('refuses cookie-authenticated writes without the CSRF token or from another origin', async () => {
    const s = await signIn()
    const noCsrf = await post('/portal/api/token', { cookie: s.cookie })
    assert.equal(noCsrf.status, 403)
    assert.equal(noCsrf.json().error.code, 'CsrfTokenInvalid')
    const wrong = await post('/portal/api/token', { cookie: s.cookie, csrf: 'A'.repeat(43) })
    assert.equal(wrong.status, 403)
    const cross = await post('/portal/api/token', {
      cookie: s.cookie,
      csrf: s.csrf,
      origin: 'https://evil.example',
    })
    assert.equal(cross.status, 403)
    const none = await post('/portal/api/token', { csrf: s.csrf })
    assert.equal(none.status, 401)
    assert.equal(none.json().error.code, 'PortalSessionRequired')
  })

  it('issues 10-minute tokens for the operator that ARM accepts, each in the sign-in log', async () => {
    const s = await signIn()
    const token = await tokenOf(s)
    const claims = payloadOf(token)
    assert.equal(claims.exp - claims.iat, 600)
    assert.equal(claims.oid, payloadOf(arm.operatorToken).oid)
    const put = await arm.request('PUT', arm.group(`${rg}-op`), {
      body: { location: LOCATION },
      token,
    })
    assert.equal(put.status, 201, put.text)
    const entries = ok(await cli('logs', 'signins', '--identity', claims.oid)).json()
    const entry = entries.find((e: any) => e.uniqueTokenIdentifier === claims.uti)
    assert.ok(entry, JSON.stringify(entries))
    assert.equal(entry.protocol, 'portal')
    assert.equal(entry.status.errorCode, 0)
  })

  it('acts as a Reader with a link minted --as the identity: reads, and every write refused', async () => {
    const s = await signIn('--as', arm.identity(rg, 'reader'))
    assert.equal(s.res.json().principalId, readerId)
    const token = await tokenOf(s)
    assert.equal(payloadOf(token).oid, readerId)
    const read = await arm.request('GET', arm.group(rg), { token })
    assert.equal(read.status, 200, read.text)
    const write = await arm.request('PUT', arm.group(`${rg}-no`), {
      body: { location: LOCATION },
      token,
    })
    assert.equal(write.status, 403, write.text)
    assert.equal(write.json().error.code, 'AuthorizationFailed')
    // A link for itself is allowed; one for another principal is impersonation, refused.
    const links = (body: unknown) =>
      https(`${origin}/keyless/v1/portal/links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ca: arm.k.ca,
      })
    assert.equal((await links({})).status, 201)
    const other = await links({ principalId: payloadOf(arm.operatorToken).oid })
    assert.equal(other.status, 403, other.text)
    const unknown = await cli('portal', '--as', randomUUID())
    assert.notEqual(unknown.code, 0, explain(unknown))
  })

  it('ends the session at sign-out', async () => {
    const s = await signIn()
    const out = await post('/portal/api/sign-out', { cookie: s.cookie, csrf: s.csrf })
    assert.equal(out.status, 204)
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/)
    const after = await https(`${origin}/portal/api/session`, {
      headers: { cookie: s.cookie },
      ca: arm.k.ca,
    })
    assert.equal(after.status, 401)
  })
})
