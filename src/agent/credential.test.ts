import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jwtVerify } from 'jose'
import { ENROLL_PATH, RENEW_PATH, type HostCredentialResponse } from '../common/agent-protocol.js'
import {
  LOCAL_NAMES,
  createCertificateAuthority,
  issueCertificate,
  type PemPair,
} from '../common/pki.js'
import { openCredential } from './credential.js'
import { rebase } from './credential-files.js'
import { createHttpsClient } from './https-client.js'
import { silentLogger } from './respond.js'
import { fakeClock, type FakeClock } from './test-fakes.js'

const DAY = 86_400_000

/** Just enough of the server's host API: enroll with "join-1" once, renew with an assertion. */
async function fakeServer(clock: FakeClock) {
  const ca: PemPair = await createCertificateAuthority('Test CA', {
    now: Date.now(),
    validityDays: 30,
    permitted: LOCAL_NAMES,
  })
  const tls = await issueCertificate(ca, {
    now: Date.now(),
    validityDays: 2,
    commonName: 'localhost',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  })
  const calls: { path: string; status: number }[] = []
  let usedJoinToken = false
  let origin = ''
  const issue = async (publicKeyPem: string): Promise<HostCredentialResponse> => {
    const cert = await issueCertificate(ca, {
      now: clock.now(),
      validityDays: 3,
      commonName: 'host-1',
      usage: 'client',
      publicKeyPem,
    })
    return {
      hostId: 'host-1',
      tenantId: 't1',
      certificate: cert.certPem,
      caCertificate: ca.certPem,
      notAfter: clock.now() + 3 * DAY,
      tokenEndpoint: `${origin}/t1/oauth2/v2.0/token`,
      eventsUrl: `${origin}/keyless/v1/events`,
    }
  }
  const server: Server = createServer({ key: tls.keyPem!, cert: tls.certPem }, (req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', async () => {
      const reply = (status: number, value: unknown) => {
        calls.push({ path: req.url ?? '', status })
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
      }
      const json = JSON.parse(body || '{}')
      if (req.url === ENROLL_PATH) {
        if (json.joinToken !== 'join-1' || usedJoinToken) {
          return reply(400, {
            error: { code: 'InvalidJoinToken', message: 'the join token is not valid' },
          })
        }
        usedJoinToken = true
        return reply(201, await issue(json.publicKey))
      }
      if (req.url === RENEW_PATH) {
        const assertion = (req.headers.authorization ?? '').replace(/^Bearer /, '')
        try {
          const { protectedHeader } = await jwtVerify(
            assertion,
            async (h) => new X509Certificate(Buffer.from(h.x5c![0]!, 'base64')).publicKey,
            {
              audience: `${origin}${RENEW_PATH}`,
              issuer: 'host-1',
              subject: 'host-1',
              currentDate: new Date(clock.now()),
            },
          )
          assert.equal(protectedHeader.typ, 'JWT')
        } catch (e) {
          return reply(401, {
            error: { code: 'AuthenticationFailed', message: (e as Error).message },
          })
        }
        return reply(200, await issue(json.publicKey))
      }
      reply(404, {})
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { ca, calls, origin, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('host credential', () => {
  let clock: FakeClock
  let server: Awaited<ReturnType<typeof fakeServer>>
  let http: ReturnType<typeof createHttpsClient>
  let dir: string
  before(async () => {
    clock = fakeClock(Date.now())
    server = await fakeServer(clock)
    http = createHttpsClient({ caPem: server.ca.certPem })
    dir = mkdtempSync(join(tmpdir(), 'keyless-cred-'))
  })
  after(async () => {
    http.close()
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const open = (joinToken?: string) =>
    openCredential({
      stateDir: join(dir, 'state'),
      serverUrl: server.origin,
      http,
      clock,
      log: silentLogger,
      joinToken,
    })

  it('refuses to start without a credential or a join token', async () => {
    await assert.rejects(open(), /has no host credential: enroll it with a join token/)
  })

  it('enrolls with a join token and keeps the key 0600 in a 0700 directory', async () => {
    const cred = await open('join-1')
    const c = cred.current()
    assert.equal(c.hostId, 'host-1')
    assert.equal(c.tokenEndpoint, `${server.origin}/t1/oauth2/v2.0/token`)
    const state = join(dir, 'state')
    assert.equal(statSync(state).mode & 0o777, 0o700)
    const keys = readdirSync(state).filter((f) => f.endsWith('.key'))
    assert.equal(keys.length, 1)
    assert.equal(statSync(join(state, keys[0]!)).mode & 0o777, 0o600)
    assert.equal(readFileSync(join(state, 'ca.crt'), 'utf8'), server.ca.certPem)
    assert.ok(readFileSync(join(state, 'ca-bundle.pem'), 'utf8').includes(server.ca.certPem.trim()))
  })

  it('reports a refused join token with the server message', async () => {
    await assert.rejects(
      openCredential({
        stateDir: join(dir, 'other'),
        serverUrl: server.origin,
        http,
        clock,
        log: silentLogger,
        joinToken: 'join-1',
      }),
      /enrollment refused \(400\): the join token is not valid/,
    )
  })

  it('loads the credential on restart without enrolling again', async () => {
    const enrollments = server.calls.filter((c) => c.path === ENROLL_PATH).length
    const cred = await open('join-1')
    assert.equal(cred.current().hostId, 'host-1')
    assert.equal(server.calls.filter((c) => c.path === ENROLL_PATH).length, enrollments)
  })

  it('renews with a new key once two thirds of the lifetime have passed, not before', async () => {
    const cred = await open()
    const before = cred.current()
    const lifetime = before.notAfter - before.notBefore
    clock.set(before.notBefore + (lifetime * 2) / 3 - 1000)
    assert.equal(await cred.renewIfDue(), false)
    clock.advance(2000)
    assert.equal(await cred.renewIfDue(), true)
    const after = cred.current()
    assert.ok(after.notAfter > before.notAfter)
    assert.notEqual(after.certificateDer, before.certificateDer)
    assert.notDeepEqual(
      after.privateKey.export({ type: 'pkcs8', format: 'der' }),
      before.privateKey.export({ type: 'pkcs8', format: 'der' }),
    )
    const keys = readdirSync(join(dir, 'state')).filter((f) => f.endsWith('.key'))
    assert.equal(keys.length, 1, 'the old key is deleted')
    const reloaded = await open()
    assert.equal(reloaded.current().certificateDer, after.certificateDer)
  })

  it('keeps the credential and retries later when renewal fails', async () => {
    const cred = await open()
    const current = cred.current()
    const brokenHttp = createHttpsClient({ caPem: 'not a certificate' })
    const broken = await openCredential({
      stateDir: join(dir, 'state'),
      serverUrl: server.origin,
      http: brokenHttp,
      clock,
      log: silentLogger,
      retryMs: 30_000,
    })
    clock.set(current.notBefore + ((current.notAfter - current.notBefore) * 5) / 6)
    assert.equal(await broken.renewIfDue(), false)
    assert.equal(broken.current().certificateDer, current.certificateDer)
    const attempts = server.calls.length
    assert.equal(await broken.renewIfDue(), false, 'no second attempt before retryMs')
    assert.equal(server.calls.length, attempts)
    brokenHttp.close()
  })

  it('remembers a revocation across restarts and enrolls again only with a new join token', async () => {
    const cred = await open()
    cred.markRevoked()
    assert.equal(await cred.renewIfDue(), false)
    await assert.rejects(open(), /was revoked: enroll it with a join token/)
  })

  it('follows the server to a new address (keyless up on a free port)', () => {
    const stored = {
      version: 1 as const,
      hostId: 'h',
      tenantId: 't',
      certificate: '',
      caCertificate: '',
      tokenEndpoint: 'https://127.0.0.1:1/t/oauth2/v2.0/token',
      eventsUrl: 'https://elsewhere:3/keyless/v1/events',
      serverUrl: 'https://127.0.0.1:1',
      keyFile: 'host-0.key',
    }
    const moved = rebase(stored, 'https://127.0.0.1:2')
    assert.equal(moved.tokenEndpoint, 'https://127.0.0.1:2/t/oauth2/v2.0/token')
    assert.equal(moved.eventsUrl, 'https://elsewhere:3/keyless/v1/events', 'other hosts stay')
    assert.equal(rebase(stored, 'https://127.0.0.1:1'), stored)
  })
})
