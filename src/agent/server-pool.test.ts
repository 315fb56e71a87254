// Failover between real HTTPS servers on loopback that share one CA: a server that does not
// answer, or answers as a gateway with 502–504, is skipped; one that refuses is believed.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createCertificateAuthority, LOCAL_NAMES } from '../common/pki.js'
import { createHttpsClient } from './https-client.js'
import { createServerPool } from './server-pool.js'
import { fakeHttpsServer } from './test-fakes.js'

/** An origin where nothing listens (a stopped replica). */
function deadOrigin(): Promise<string> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(`https://127.0.0.1:${port}`))
    })
  })
}

describe('server pool', () => {
  let servers: Awaited<ReturnType<typeof fakeHttpsServer>>[]
  let ca: string
  const status = { a: 200, b: 200 }
  const seen: string[] = []

  before(async () => {
    const pair = await createCertificateAuthority('Pool CA', {
      now: Date.now(),
      validityDays: 1,
      permitted: LOCAL_NAMES,
    })
    ca = pair.certPem
    servers = await Promise.all(
      (['a', 'b'] as const).map((name) =>
        fakeHttpsServer((req, res) => {
          seen.push(`${name} ${req.url}`)
          res.writeHead(status[name]).end(name)
        }, pair),
      ),
    )
  })
  after(async () => Promise.all(servers.map((s) => s.close())))

  const pool = (urls: string[]) => createServerPool(createHttpsClient({ caPem: ca }), urls)

  it('sends the path to the next server when one does not answer, and stays there', async () => {
    const dead = await deadOrigin()
    const p = pool([dead, servers[0]!.origin])
    seen.length = 0
    const res = await p.send(`${dead}/tenant/oauth2/v2.0/token?x=1`)
    assert.equal(res.text, 'a')
    assert.deepEqual(seen, ['a /tenant/oauth2/v2.0/token?x=1'])
    assert.equal(p.preferred, servers[0]!.origin)
    assert.deepEqual(p.stats, { attempts: 2, failovers: 1 })
    await p.send(`${dead}/again`)
    assert.deepEqual(p.stats, { attempts: 3, failovers: 1 }, 'the answering server comes first')
    p.close()
  })

  it('moves on from a gateway error but believes a refusal', async () => {
    const p = pool([servers[0]!.origin, servers[1]!.origin])
    try {
      status.a = 503
      assert.equal((await p.send(`${servers[0]!.origin}/t`)).text, 'b')
      status.a = 200
      status.b = 400
      const refused = await p.send(`${servers[0]!.origin}/t`)
      assert.equal(refused.status, 400)
      assert.equal(refused.text, 'b', 'the preferred server refused: no other is asked')
    } finally {
      status.a = status.b = 200
      p.close()
    }
  })

  it('tries the URL as given last when it is none of the servers (a public URL)', async () => {
    const dead = await deadOrigin()
    const p = pool([dead])
    const res = await p.send(`${servers[1]!.origin}/public`)
    assert.equal(res.text, 'b')
    assert.equal(p.preferred, dead, 'only configured servers become preferred')
    p.close()
  })

  it('says so when no server answers, and refuses a plain-http server at startup', async () => {
    const p = pool([await deadOrigin(), await deadOrigin()])
    await assert.rejects(p.send('https://127.0.0.1:1/x'), /ECONNREFUSED/)
    p.close()
    assert.throws(() => pool(['http://127.0.0.1:1']), /must be https/)
    assert.throws(() => pool([]), /at least one server/)
  })
})
