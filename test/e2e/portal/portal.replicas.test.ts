// The portal on `keyless server` replicas sharing one PostgreSQL schema: each serves the page at
// /portal/ with its CSP; a link minted on one replica is redeemed on another, the session works
// on either (sessions live in the database, not in a replica), and a link is spent for both.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { RunningReplica } from '../../../src/server/start-replica.js'
import { postgresForTests, POSTGRES_SKIP } from '../../../src/store/test-postgres.js'
import { https } from '../../helpers/https.js'
import { clientToken } from '../../helpers/tokens.js'
import { replicaSet } from '../replicas/replicas.in-process.js'

const postgres = postgresForTests('portal_replicas')
const PUBLIC_URL = 'https://127.0.0.1:9'

describe(
  'the portal on keyless server replicas',
  { skip: postgres ? false : POSTGRES_SKIP },
  () => {
    const set = postgres
      ? replicaSet(postgres.url, postgres.schema('portal'), PUBLIC_URL)
      : undefined
    let a: RunningReplica
    let b: RunningReplica
    let operatorToken = ''

    const request = (
      r: RunningReplica,
      path: string,
      o: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
    ) =>
      https(`${r.endpoints.listening}${path}`, {
        method: o.method ?? 'GET',
        headers: {
          ...(o.body !== undefined && { 'content-type': 'application/json' }),
          // The page's origin is the installation's public URL, whichever replica answers.
          ...(o.method === 'POST' && { origin: PUBLIC_URL }),
          ...o.headers,
        },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        ca: r.caCertPem,
      })

    before(async () => {
      a = await set!.start()
      b = await set!.start()
      const at = {
        endpoints: { authorityHost: a.endpoints.listening, tenantId: a.endpoints.tenantId },
        ca: a.caCertPem,
      }
      operatorToken = await clientToken(at, a.operator, 'https://management.azure.com/')
    })
    after(async () => set?.close())

    it('serves the bundled page at /portal/ from every replica, with its CSP', async () => {
      for (const r of [a, b]) {
        const page = await request(r, '/portal/')
        assert.equal(page.status, 200)
        assert.match(String(page.headers['content-type']), /^text\/html/)
        assert.match(page.text, /<script type="module" src="app.js"><\/script>/)
        assert.match(String(page.headers['content-security-policy']), /script-src 'self'/)
        const app = await request(r, '/portal/app.js')
        assert.equal(app.status, 200)
        assert.match(String(app.headers['content-type']), /^text\/javascript/)
        assert.equal((await request(r, '/portal/nothing.js')).status, 404)
        assert.equal((await request(r, '/portal')).status, 308)
      }
    })

    it('redeems on one replica a link minted on another; the session works on both', async () => {
      const minted = await request(a, '/keyless/v1/portal/links', {
        method: 'POST',
        headers: { authorization: `Bearer ${operatorToken}` },
        body: {},
      })
      assert.equal(minted.status, 201, minted.text)
      const { url } = minted.json()
      assert.ok(url.startsWith(`${PUBLIC_URL}/portal/#sign-in=`), url)
      const code = new URL(url).hash.replace('#sign-in=', '')
      const signIn = await request(b, '/portal/api/sign-in', { method: 'POST', body: { code } })
      assert.equal(signIn.status, 200, signIn.text)
      const again = await request(a, '/portal/api/sign-in', { method: 'POST', body: { code } })
      assert.equal(again.status, 401)
      const cookie = String(signIn.headers['set-cookie']).split(';')[0]!
      const csrf = signIn.json().csrfToken
      const token = await request(a, '/portal/api/token', {
        method: 'POST',
        headers: { cookie, 'x-keyless-csrf': csrf },
      })
      assert.equal(token.status, 200, token.text)
      const groups = await request(
        b,
        `/subscriptions/${a.endpoints.subscriptionId}/resourcegroups?api-version=2025-04-01`,
        {
          headers: { authorization: `Bearer ${token.json().accessToken}` },
        },
      )
      assert.equal(groups.status, 200, groups.text)
    })
  },
)
