// Every forged or malformed token is refused by every verifier Keyless has, in that verifier's
// protocol format (issue 11.1): one table, run against ARM, Graph, the vault, blob, the hosts
// and events APIs and keyless/verify, over HTTPS, with tokens signed by the real keys.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setUp, type HardeningEnv } from './hardening.config.js'
import { forgeries, resigned } from './token-forgeries.js'

describe('one token policy for every verifier', () => {
  let env: HardeningEnv
  before(async () => {
    env = await setUp()
  })
  after(async () => env?.dispose())

  it('accepts a genuine token, and the same claims signed again with the real key', async () => {
    for (const v of env.verifiers) {
      const genuine = await env.genuine(v.audience)
      for (const token of [genuine, await resigned(genuine, env.k.dataDir)]) {
        const verdict = await v.present(token)
        assert.equal(verdict.refused, false, `${v.name}: ${verdict.answer}`)
      }
    }
  })

  it('refuses every forged or malformed token, at every verifier, in its own format', async () => {
    const failures: string[] = []
    for (const v of env.verifiers) {
      const rows = await forgeries(await env.genuine(v.audience), env.k.dataDir)
      for (const row of rows) {
        const verdict = await v.present(row.token)
        if (!verdict.refused) failures.push(`${v.name} / ${row.name}: ${verdict.answer}`)
      }
    }
    assert.deepEqual(failures, [])
  })
})
