// The vault's front door over raw HTTPS: the challenge handshake answered before anything else,
// token attacks refused with 401 `Unauthorized`, the accepted audiences, api-version handling,
// headers on every response, URL forms, paging links and the error JSON.
import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { SignJWT } from 'jose'
import {
  claimsOf,
  ROLES,
  serverSigner,
  startVaultEnv,
  vaultRequest,
  withApi,
  type Vault,
  type VaultEnv,
  type Workload,
} from './vault.config.js'

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

describe('vault authentication and protocol', () => {
  let env: VaultEnv
  let vault: Vault
  let app: Workload
  let token: string
  let signer: Awaited<ReturnType<typeof serverSigner>>

  const get = (path: string, t: string | undefined, o: { method?: string; body?: unknown } = {}) =>
    vaultRequest(`${vault.url}${path}`, { token: t, ca: env.k.ca, ...o })

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-auth')
    app = await env.createWorkload('auth-app')
    await env.assign(vault.id, ROLES.officer, app.principalId)
    token = await env.token(app)
    signer = await serverSigner(env)
    const put = await get(withApi('secrets/known'), token, { method: 'PUT', body: { value: 'v' } })
    assert.equal(put.status, 200, put.text)
  })
  after(async () => env?.dispose())

  it('answers a request without a token with the challenge, before anything else', async () => {
    for (const [method, path] of [
      ['PUT', withApi('secrets/known')],
      ['GET', 'secrets/known'],
      ['GET', 'no/such/route'],
      ['GET', withApi('secrets/bad_name', '1.0')],
    ] as const) {
      const res = await vaultRequest(`${vault.url}${path}`, {
        method,
        ca: env.k.ca,
        headers: { 'content-type': 'application/json' },
      })
      assert.equal(res.status, 401, `${method} ${path}`)
      assert.equal(
        res.headers['www-authenticate'],
        `Bearer authorization="${env.k.endpoints.authorityHost}/${env.k.endpoints.tenantId}", resource="https://vault.azure.net"`,
      )
      assert.deepEqual(res.json(), {
        error: {
          code: 'Unauthorized',
          message: 'AKV10000: Request is missing a Bearer or PoP token.',
        },
      })
    }
  })

  it('puts x-ms-request-id and x-ms-keyvault-service-version on every response', async () => {
    for (const t of [undefined, token, 'not-a-jwt']) {
      const res = await get(withApi('secrets/known'), t)
      assert.match(String(res.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/)
      assert.ok(res.headers['x-ms-keyvault-service-version'])
    }
  })

  describe('token attacks', () => {
    let claims: Record<string, unknown>
    const now = () => Math.floor(Date.now() / 1000)
    before(() => {
      claims = claimsOf(token)
    })

    const attacks: [string, () => Promise<string>, RegExp][] = [
      ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, /AKV10000/],
      [
        'HS256 signed with the public key',
        async () => {
          const pem = createPublicKey({ key: signer.publicJwk as never, format: 'jwk' }).export({
            type: 'spki',
            format: 'pem',
          })
          return new SignJWT(claims)
            .setProtectedHeader({ alg: 'HS256', kid: signer.kid, typ: 'JWT' })
            .sign(Buffer.from(pem))
        },
        /AKV10000/,
      ],
      [
        'an unknown kid',
        async () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
          return new SignJWT(claims)
            .setProtectedHeader({ alg: 'RS256', kid: randomUUID(), typ: 'JWT' })
            .sign(privateKey)
        },
        /signature/,
      ],
      [
        'a tampered payload',
        async () => {
          const [h, , s] = token.split('.')
          return `${h}.${b64({ ...claims, oid: randomUUID() })}.${s}`
        },
        /signature/,
      ],
      [
        'an expired token',
        () => signer.sign({ ...claims, iat: now() - 7200, nbf: now() - 7200, exp: now() - 900 }),
        /expired/,
      ],
      [
        'a token not valid yet',
        () => signer.sign({ ...claims, iat: now(), nbf: now() + 900, exp: now() + 3600 }),
        /not valid yet/,
      ],
      [
        'a wrong audience',
        () => signer.sign({ ...claims, aud: 'https://management.azure.com/' }),
        /^AKV10022: Invalid audience\. Expected https:\/\/vault\.azure\.net, found: https:\/\/management\.azure\.com\/\.$/,
      ],
      [
        'a wrong issuer',
        () => signer.sign({ ...claims, iss: 'https://login.example/evil/' }),
        /^AKV10032: Invalid issuer\./,
      ],
      [
        'a token of another tenant',
        () => {
          const other = randomUUID()
          return signer.sign({
            ...claims,
            tid: other,
            iss: `${env.k.endpoints.authorityHost}/${other}/`,
          })
        },
        /^AKV10032: Invalid issuer\./,
      ],
      [
        'a principal that does not exist',
        () => signer.sign({ ...claims, oid: randomUUID(), sub: randomUUID() }),
        /no longer exists/,
      ],
    ]

    for (const [name, forge, message] of attacks) {
      it(`refuses ${name} with 401 Unauthorized and the challenge`, async () => {
        const res = await get(withApi('secrets/known'), await forge())
        assert.equal(res.status, 401, res.text)
        assert.equal(res.json().error.code, 'Unauthorized')
        assert.match(res.json().error.message, message)
        assert.match(String(res.headers['www-authenticate']), /^Bearer authorization="/)
      })
    }

    it('refuses a non-bearer Authorization header as a missing token', async () => {
      const res = await vaultRequest(withApi(`${vault.url}secrets/known`), {
        ca: env.k.ca,
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      })
      assert.equal(res.status, 401)
      assert.match(res.json().error.message, /AKV10000/)
    })

    it('accepts Azure’s audience in its forms, Key Vault’s app id and the vault URL', async () => {
      for (const aud of [
        'https://vault.azure.net',
        'https://vault.azure.net/',
        'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
        vault.url,
        vault.url.replace(/\/$/, ''),
      ]) {
        const res = await get(withApi('secrets/known'), await signer.sign({ ...claims, aud }))
        assert.equal(res.status, 200, `${aud}: ${res.text}`)
      }
    })
  })

  describe('api-version', () => {
    it('reads the SDK’s literal api%2Dversion and the 7.x versions', async () => {
      for (const query of [
        'api%2Dversion=2025-07-01',
        'api-version=7.4',
        'api-version=7.6-preview.2',
      ]) {
        const res = await get(`secrets/known?${query}`, token)
        assert.equal(res.status, 200, `${query}: ${res.text}`)
      }
    })

    it('refuses a missing or unknown api-version with 400 BadParameter', async () => {
      const missing = await get('secrets/known', token)
      assert.equal(missing.status, 400)
      assert.equal(missing.json().error.code, 'BadParameter')
      const unknown = await get('secrets/known?api-version=1.0', token)
      assert.equal(unknown.status, 400)
      assert.match(unknown.json().error.message, /not recognized/)
    })
  })

  describe('URLs and paging', () => {
    it('serves the latest version at /secrets/{n}/ and without the slash, and tolerates //', async () => {
      for (const path of ['secrets/known/', 'secrets/known', '/secrets/known', 'secrets/KNOWN/']) {
        const res = await get(withApi(path), token)
        assert.equal(res.status, 200, path)
        assert.equal(res.json().value, 'v')
        assert.match(res.json().id, new RegExp(`^${vault.url}secrets/known/[0-9a-f]{32}$`))
        assert.equal(Number.isInteger(res.json().attributes.created), true)
      }
    })

    it('pages with absolute nextLinks that carry the api-version, null at the end', async () => {
      for (const n of ['pa', 'pb', 'pc']) {
        await get(withApi(`secrets/${n}`), token, { method: 'PUT', body: { value: n } })
      }
      let link: string | null = withApi(`${vault.url}secrets?maxresults=2`, '7.5')
      const seen: string[] = []
      while (link !== null) {
        const res = await vaultRequest(link, { token, ca: env.k.ca })
        assert.equal(res.status, 200, res.text)
        const body = res.json()
        assert.ok(Array.isArray(body.value) && body.value.length <= 2)
        for (const item of body.value) {
          assert.equal(item.value, undefined)
          seen.push(item.id)
        }
        if (body.nextLink !== null) {
          assert.ok(body.nextLink.startsWith(`${vault.url}secrets?api-version=7.5&`), body.nextLink)
        }
        link = body.nextLink
      }
      assert.ok(seen.includes(`${vault.url}secrets/pa`))
      assert.equal(new Set(seen).size, seen.length)
    })

    it('refuses maxresults outside 1..25 and a forged skiptoken with 400', async () => {
      assert.equal((await get(withApi('secrets?maxresults=26'), token)).status, 400)
      assert.equal((await get(withApi('secrets?maxresults=0'), token)).status, 400)
      assert.equal((await get(withApi('secrets?$skiptoken=%%%'), token)).status, 400)
    })

    it('answers an unknown route, a bad body and a missing value with 400 BadParameter', async () => {
      const route = await get(withApi('certificates/c1'), token)
      assert.equal(route.status, 400)
      assert.equal(route.json().error.code, 'BadParameter')
      const bad = await vaultRequest(withApi(`${vault.url}secrets/x`), {
        method: 'PUT',
        token,
        raw: '{not json',
        ca: env.k.ca,
      })
      assert.equal(bad.status, 400)
      assert.equal(bad.json().error.code, 'BadParameter')
      const empty = await get(withApi('secrets/x'), token, { method: 'PUT', body: { tags: {} } })
      assert.equal(empty.status, 400)
      assert.equal(empty.json().error.message, 'Property value is required.')
      const big = await get(withApi('secrets/x'), token, {
        method: 'PUT',
        body: { value: 'x'.repeat(25 * 1024 + 1) },
      })
      assert.equal(big.status, 400)
    })

    it('answers an unknown version as 404 SecretNotFound with Azure’s message', async () => {
      const res = await get(withApi('secrets/known/not-a-version'), token)
      assert.equal(res.status, 404)
      assert.equal(res.json().error.code, 'SecretNotFound')
      assert.match(
        res.json().error.message,
        /^A secret with \(name\/id\) known\/not-a-version was not found in this key vault\./,
      )
    })
  })
})
