// The middleware for node:http, Fastify and Express answers 401 without a valid token and hands
// the verified caller to the handler; `keyless/verify` resolves as a package export.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import express from 'express'
import {
  authenticateRequest,
  createVerifier,
  keylessExpress,
  keylessFastify,
  sendVerifyError,
  type KeylessPrincipal,
} from '../../../src/verify/index.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { appToken } from '../../helpers/tokens.js'
import { AUDIENCE } from './verify.config.js'

async function get(port: number, token?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/whoami`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })
  return {
    status: res.status,
    body: (await res.json()) as any,
    challenge: res.headers.get('www-authenticate'),
  }
}

describe('keyless/verify middleware', () => {
  let k: KeylessProcess
  let token: string
  let verifier: ReturnType<typeof createVerifier>
  const servers: Server[] = []
  const listen = async (s: Server) => {
    servers.push(s)
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    return (s.address() as AddressInfo).port
  }

  before(async () => {
    k = await startKeyless()
    token = await appToken(k, AUDIENCE)
    verifier = createVerifier({
      authority: k.endpoints.authorityHost,
      tenantId: k.endpoints.tenantId,
      audience: AUDIENCE,
      ca: k.ca,
    })
  })
  after(async () => {
    for (const s of servers) s.close()
    await k?.dispose()
  })

  async function expectBehaviour(port: number) {
    const denied = await get(port)
    assert.equal(denied.status, 401)
    assert.equal(denied.body.error.code, 'ERR_KEYLESS_TOKEN_MISSING')
    assert.match(String(denied.challenge), /^Bearer error="invalid_token"/)
    assert.equal((await get(port, 'not-a-jwt')).status, 401)
    const ok = await get(port, token)
    assert.equal(ok.status, 200)
    assert.equal(ok.body.appId, k.admin.clientId)
  }

  it('guards a node:http server', async () => {
    const port = await listen(
      createServer(async (req, res) => {
        try {
          const caller = await authenticateRequest(verifier, req)
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ appId: caller.appId }))
        } catch (err) {
          sendVerifyError(res, err)
        }
      }),
    )
    await expectBehaviour(port)
  })

  it('guards a Fastify app', async () => {
    const app = Fastify()
    await app.register(keylessFastify(verifier))
    app.get('/whoami', async (req) => ({
      appId: (req as unknown as { keyless: KeylessPrincipal }).keyless.appId,
    }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    servers.push(app.server)
    await expectBehaviour((app.server.address() as AddressInfo).port)
  })

  it('guards an Express app', async () => {
    const app = express()
    app.use(keylessExpress(verifier))
    app.get('/whoami', (req, res) => {
      res.json({ appId: (req as unknown as { keyless: KeylessPrincipal }).keyless.appId })
    })
    await expectBehaviour(await listen(createServer(app)))
  })

  it('is importable as keyless/verify', async () => {
    const mod = await import('keyless/verify')
    assert.equal(typeof mod.createVerifier, 'function')
    assert.equal(typeof mod.keylessFastify, 'function')
  })
})
