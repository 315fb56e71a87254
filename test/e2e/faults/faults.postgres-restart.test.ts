// PostgreSQL restarted while writes are in flight (a private cluster, never the shared server):
// every request during the outage is answered, fast, with 503 and Retry-After in its protocol's
// own format (ARM envelope, OAuth JSON, Key Vault JSON, Blob XML), never a 500 or a hang;
// Keyless serves again within 5 s of the database; no acknowledged write is lost.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { startKeyless, tempDataDir } from '../../helpers/keyless.js'
import { form, https, type HttpResult } from '../../helpers/https.js'
import { emptyModel, missingFromApi, nextOperation, rng, session, setUp } from './workload.js'
import { privatePostgresUnavailable, startPrivatePostgres } from './private-postgres.js'
import { SEED, violations } from './faults.config.js'

const skip = privatePostgresUnavailable()

/** The request, or a failure if it has not been answered within `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function assertUnavailable(r: HttpResult, protocol: string): void {
  assert.equal(r.status, 503, `${protocol}: ${r.status} ${r.text}`)
  assert.ok(Number(r.headers['retry-after']) > 0, `${protocol}: no Retry-After`)
  if (protocol === 'arm' || protocol === 'vault') {
    assert.equal(r.json().error.code, 'ServiceUnavailable', r.text)
  } else if (protocol === 'oauth') {
    assert.equal(r.json().error, 'temporarily_unavailable', r.text)
  } else {
    assert.match(r.text, /<Code>ServerBusy<\/Code>/)
  }
}

describe('PostgreSQL restarted under load', { skip: skip ?? false }, () => {
  it('answers 503 with Retry-After in each protocol, recovers within 5 s and loses nothing', async () => {
    const pg = await startPrivatePostgres()
    const k = await startKeyless({ dataDir: tempDataDir(), args: ['--database-url', pg.url] })
    // Set on every way out: a failed assertion must not leave the writer looping (the file
    // then hung until its 300 s timeout).
    let stopWriting = false
    try {
      const s = await session(k)
      const fx = await setUp(s)
      const model = emptyModel()
      const pick = rng(SEED)
      const statuses: number[] = []
      // Writes in flight the whole time, one after another.
      const writer = (async () => {
        for (let i = 0; !stopWriting; i++) {
          const op = nextOperation(s, fx, model, pick, i)
          const r = await within(op.send(), 10_000, op.name).catch(() => undefined)
          op.record(model, r === undefined ? undefined : r.status < 300)
          if (r) statuses.push(r.status)
          if (r && r.status >= 500) assert.equal(r.status, 503, `${op.name}: ${r.text}`)
        }
      })()
      await sleep(1500)
      pg.stop()
      // One request of each protocol while the database is down.
      const sub = `/subscriptions/${k.endpoints.subscriptionId}`
      const probes: [string, () => Promise<HttpResult>][] = [
        [
          'arm',
          () =>
            s.call('PUT', `${sub}/resourceGroups/outage?api-version=2021-04-01`, {
              location: 'local',
            }),
        ],
        [
          'oauth',
          () =>
            https(`${k.endpoints.authorityHost}/${k.endpoints.tenantId}/oauth2/v2.0/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: form({
                grant_type: 'client_credentials',
                client_id: k.admin.clientId,
                client_secret: 'not-the-secret-so-the-store-is-asked',
                scope: `${k.endpoints.managementEndpoint}/.default`,
              }),
              ca: k.ca,
            }),
        ],
        [
          'vault',
          () =>
            https(`${fx.vaultUri.replace(/\/$/, '')}/secrets/outage?api-version=7.5`, {
              method: 'PUT',
              headers: {
                authorization: `Bearer ${s.vaultToken}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify({ value: 'x' }),
              ca: k.ca,
            }),
        ],
        [
          'blob',
          () =>
            https(`${k.endpoints.blobEndpoint}/${fx.account}/${fx.container}/outage.txt`, {
              method: 'PUT',
              headers: {
                authorization: `Bearer ${s.storageToken}`,
                'x-ms-version': '2026-04-06',
                'x-ms-blob-type': 'BlockBlob',
                'content-length': '1',
              },
              body: 'x',
              ca: k.ca,
            }),
        ],
      ]
      for (const [protocol, probe] of probes) {
        const t0 = Date.now()
        assertUnavailable(await within(probe(), 10_000, protocol), protocol)
        assert.ok(Date.now() - t0 < 5000, `${protocol} took ${Date.now() - t0} ms to refuse`)
      }
      await sleep(1000)
      pg.start()
      const back = Date.now()
      for (;;) {
        const r = await s.call('GET', `${fx.rg}?api-version=2021-04-01`)
        if (r.status === 200) break
        assert.equal(r.status, 503, r.text)
        assert.ok(Date.now() - back < 5000, 'not serving again within 5 s of the database')
        await sleep(100)
      }
      await sleep(1000)
      stopWriting = true
      await writer
      assert.ok(statuses.includes(503), 'no write met the outage')
      assert.ok(!statuses.some((c) => c >= 500 && c !== 503), `statuses: ${[...new Set(statuses)]}`)
      assert.deepEqual(await missingFromApi(s, fx, model), [])
      assert.deepEqual(await violations(k.dataDir, pg.url), [])
    } finally {
      stopWriting = true
      await k.dispose()
      pg.dispose()
    }
  })
})
