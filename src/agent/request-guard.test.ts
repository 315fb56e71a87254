// The request guard from the attacker's side, over real HTTP, against every protocol's listener:
// proxy headers, a foreign Host (DNS rebinding), other methods, bodies, and the exact forms of
// `Metadata`, `X-IDENTITY-HEADER` and 2017's `secret` (docs/identity-endpoints.md).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { call, type Answer } from './test-http.js'
import {
  assertTokenBody,
  LEGACY_EXPIRES_ON,
  PATH,
  query,
  VM,
  startFakeAgent,
  type FakeAgent,
} from './test-agent.js'
import { acceptedHosts, PROXY_HEADERS } from './request-guard.js'

/** Exactly these bytes on a fresh connection; the status line and body of the answer. */
function raw(port: number, text: string): Promise<{ status: number; body: string; head: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('error', reject)
    s.on('close', () => {
      const all = Buffer.concat(chunks).toString('utf8')
      const [head = '', body = ''] = all.split('\r\n\r\n')
      resolve({ status: Number(head.split(' ')[1]), body, head })
    })
    s.end(text)
  })
}

interface Target {
  protocol: 'imds' | 'appservice' | 'appservice2017' | 'arc'
  url: string
  port: number
  /** The headers a stock client sends. */
  headers: Record<string, string>
}

const refusedWithoutToken = (a: Answer, status = 400) => {
  assert.equal(a.status, status, a.text)
  const body = a.json()
  assert.equal(body.access_token, undefined)
  assert.equal(typeof body.error, 'string')
  return body
}

describe('identity endpoint request guard', () => {
  let agent: FakeAgent
  const targets: Target[] = []
  before(async () => {
    agent = await startFakeAgent()
    const imds = await agent.createRun(VM, 'imds')
    const app = await agent.createRun(VM, 'appservice')
    const arc = await agent.createRun(VM, 'arc')
    const base = (u: string) => new URL(u)
    const at = (u: string, path: string) => `${base(u).origin}${path}${query()}`
    targets.push(
      {
        protocol: 'imds',
        url: at(imds.env.AZURE_POD_IDENTITY_AUTHORITY_HOST!, PATH),
        port: Number(base(imds.env.AZURE_POD_IDENTITY_AUTHORITY_HOST!).port),
        headers: { Metadata: 'true' },
      },
      {
        protocol: 'appservice',
        url: `${app.env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com/')}`,
        port: Number(base(app.env.IDENTITY_ENDPOINT!).port),
        headers: { 'X-IDENTITY-HEADER': app.env.IDENTITY_HEADER! },
      },
      {
        protocol: 'appservice2017',
        url: `${app.env.MSI_ENDPOINT}?api-version=2017-09-01&resource=${encodeURIComponent('https://management.azure.com/')}`,
        port: Number(base(app.env.MSI_ENDPOINT!).port),
        headers: { secret: app.env.MSI_SECRET! },
      },
      {
        protocol: 'arc',
        url: at(arc.env.IMDS_ENDPOINT!, PATH).replace('2018-02-01', '2020-06-01'),
        port: Number(base(arc.env.IMDS_ENDPOINT!).port),
        headers: { Metadata: 'true' },
      },
    )
  })
  after(async () => agent?.close())

  /** The status a stock request gets: 200 (IMDS, App Service) or the Arc challenge (401). */
  const okStatus = (t: Target) => (t.protocol === 'arc' ? 401 : 200)

  const proxyHeaders = [
    ...PROXY_HEADERS,
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-forwarded-port',
    'x-forwarded-server',
  ]

  for (const protocol of ['imds', 'appservice', 'appservice2017', 'arc'] as const) {
    const t = () => targets.find((x) => x.protocol === protocol)!

    it(`${protocol}: answers a stock request (the baseline of every refusal below)`, async () => {
      const a = await call(t().url, { headers: t().headers })
      assert.equal(a.status, okStatus(t()), a.text)
      if (protocol === 'appservice2017') assertTokenBody(a, undefined, LEGACY_EXPIRES_ON)
      else if (protocol !== 'arc') assertTokenBody(a)
    })

    it(`${protocol}: refuses every proxy header with 400 and no token, even empty`, async () => {
      for (const name of proxyHeaders) {
        for (const value of ['127.0.0.1', '']) {
          const a = await call(t().url, { headers: { ...t().headers, [name]: value } })
          const body = refusedWithoutToken(a)
          assert.equal(body.error, 'invalid_request')
          assert.match(body.error_description, new RegExp(`the ${name} header`))
        }
      }
    })

    it(`${protocol}: refuses a Host that does not name the listener (DNS rebinding)`, async () => {
      const port = t().port
      for (const host of [
        `evil.example:${port}`,
        `127.0.0.1.nip.io:${port}`,
        `127.0.0.2:${port}`,
        `127.0.0.1:${port + 1}`,
        '127.0.0.1',
        `localhost.:${port}`,
        `[::1]:${port}`,
        `169.254.169.254:${port}`,
      ]) {
        const a = await call(t().url, { headers: { ...t().headers, Host: host } })
        const body = refusedWithoutToken(a)
        assert.match(body.error_description, /Host header/, host)
      }
    })

    it(`${protocol}: accepts the listener's own address and localhost, in any case`, async () => {
      for (const host of [
        `127.0.0.1:${t().port}`,
        `localhost:${t().port}`,
        `LocalHost:${t().port}`,
      ]) {
        const a = await call(t().url, { headers: { ...t().headers, Host: host } })
        assert.equal(a.status, okStatus(t()), `${host}: ${a.text}`)
      }
    })

    it(`${protocol}: refuses a request with no Host at all (HTTP/1.0)`, async () => {
      const path = new URL(t().url).pathname + new URL(t().url).search
      const lines = Object.entries(t().headers).map(([k, v]) => `${k}: ${v}\r\n`)
      const a = await raw(t().port, `GET ${path} HTTP/1.0\r\n${lines.join('')}\r\n`)
      assert.equal(a.status, 400)
      assert.match(JSON.parse(a.body).error_description, /Host header/)
    })

    it(`${protocol}: answers other methods 405 with Allow: GET`, async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const a = await call(t().url, { method, headers: t().headers })
        refusedWithoutToken(a, 405)
        assert.equal(a.headers.allow, 'GET')
      }
    })

    it(`${protocol}: refuses a GET with a body or Transfer-Encoding, and closes`, async () => {
      // node:http sends a GET body with no length unless told: say it, as an attacker would.
      const withBody = await call(t().url, {
        headers: { ...t().headers, 'Content-Length': '10' },
        body: 'resource=x',
      })
      assert.match(refusedWithoutToken(withBody).error_description, /no request body/)
      assert.equal(withBody.headers.connection, 'close')
      const u = new URL(t().url)
      const lines = Object.entries(t().headers).map(([k, v]) => `${k}: ${v}\r\n`)
      const chunked = await raw(
        t().port,
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${lines.join('')}` +
          'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      )
      assert.equal(chunked.status, 400)
      assert.match(JSON.parse(chunked.body).error_description, /no request body/)
      // An empty body announced as such is what some clients send on GET: still served.
      const empty = await call(t().url, {
        headers: { ...t().headers, 'Content-Length': '0' },
      })
      assert.equal(empty.status, okStatus(t()), empty.text)
    })
  }

  for (const protocol of ['imds', 'arc'] as const) {
    it(`${protocol}: accepts exactly Metadata: true; missing, empty or other values get 400`, async () => {
      const t = targets.find((x) => x.protocol === protocol)!
      for (const value of [undefined, '', 'false', 'True', 'TRUE', '1', 'yes']) {
        const headers: Record<string, string> = value === undefined ? {} : { Metadata: value }
        const a = await call(t.url, { headers })
        const body = refusedWithoutToken(a)
        assert.equal(body.error, 'invalid_request')
        assert.equal(body.error_description, 'Required metadata header not specified')
      }
      // Sent twice, the values are joined ("true, true"): refused too.
      const u = new URL(t.url)
      const twice = await raw(
        t.port,
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nMetadata: true\r\n` +
          'Metadata: true\r\nConnection: close\r\n\r\n',
      )
      assert.equal(twice.status, 400)
    })
  }

  it('appservice: missing or empty X-IDENTITY-HEADER gets 400, a wrong one 401', async () => {
    const t = targets.find((x) => x.protocol === 'appservice')!
    for (const headers of [{}, { 'X-IDENTITY-HEADER': '' }] as Record<string, string>[]) {
      const body = refusedWithoutToken(await call(t.url, { headers }))
      assert.equal(body.error, 'invalid_request')
      assert.match(body.error_description, /X-IDENTITY-HEADER not specified/)
    }
    const right = t.headers['X-IDENTITY-HEADER']!
    for (const wrong of ['x', right.toUpperCase(), `${right} `.repeat(2).trim(), right + 'a']) {
      const body = refusedWithoutToken(
        await call(t.url, { headers: { 'X-IDENTITY-HEADER': wrong } }),
        401,
      )
      assert.equal(body.error, 'invalid_client')
    }
  })

  it('lists the Host forms of a listener: its address and localhost, port required unless 80', () => {
    assert.deepEqual([...acceptedHosts('127.0.0.1', 4000)], ['127.0.0.1:4000', 'localhost:4000'])
    assert.deepEqual([...acceptedHosts('::1', 4000)], ['[::1]:4000', 'localhost:4000'])
    assert.deepEqual(
      [...acceptedHosts('169.254.169.254', 80)],
      ['169.254.169.254:80', '169.254.169.254'],
    )
    assert.deepEqual([...acceptedHosts('::ffff:127.0.0.1', 9)], ['127.0.0.1:9', 'localhost:9'])
  })
})
