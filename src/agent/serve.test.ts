import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { call } from './test-http.js'
import { ARM, PATH, query, startFakeAgent, VM } from './test-agent.js'

describe('identity endpoint limits and restarts', () => {
  it('throttles a caller beyond its rate with 429 and Retry-After', async () => {
    const agent = await startFakeAgent({ rateLimits: { perSecond: 3 } })
    try {
      const run = await agent.createRun(VM, 'imds')
      const u = run.env.AZURE_POD_IDENTITY_AUTHORITY_HOST + PATH + query()
      const answers = []
      for (let i = 0; i < 4; i++) answers.push(await call(u, { headers: { Metadata: 'true' } }))
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200, 200, 429],
      )
      assert.equal(answers[3]!.headers['retry-after'], '1')
      assert.deepEqual(answers[3]!.json(), {
        error: 'too_many_requests',
        error_description: 'Too many requests for this identity',
      })
      agent.clock.advance(1000)
      assert.equal((await call(u, { headers: { Metadata: 'true' } })).status, 200)
    } finally {
      await agent.close()
    }
  })

  it('serves the runs of the previous start on the same endpoints after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-serve-'))
    try {
      let agent = await startFakeAgent({ dir })
      const app = await agent.createRun(VM, 'appservice')
      const imds = await agent.createRun(VM, 'imds')
      await agent.close()
      agent = await startFakeAgent({ dir })
      try {
        assert.equal(agent.serving.identityEndpoint, app.env.IDENTITY_ENDPOINT)
        const a = await call(
          `${app.env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(ARM)}`,
          { headers: { 'X-IDENTITY-HEADER': app.env.IDENTITY_HEADER! } },
        )
        assert.equal(a.status, 200)
        const b = await call(imds.env.AZURE_POD_IDENTITY_AUTHORITY_HOST + PATH + query(), {
          headers: { Metadata: 'true' },
        })
        assert.equal(b.status, 200)
        assert.equal(agent.serving.runs.list().length, 2)
      } finally {
        await agent.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses to listen on an address other machines can reach', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-serve-'))
    try {
      await assert.rejects(startFakeAgent({ dir, listenHost: '0.0.0.0' }), TypeError)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
