// `keyless server rotate-master-key`: everything sealed under the old key opens under the new
// one (the same signing key, CA and operator credential), a replica given the old key is then
// refused, and a wrong --old changes nothing.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { postgresForTests, POSTGRES_SKIP } from '../../../src/store/test-postgres.js'
import { BIN } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'
import { clientToken } from '../../helpers/tokens.js'
import {
  credentials,
  masterKeyFile,
  scratchDir,
  spawnReplica,
  startReplicaProcess,
} from './replicas.config.js'

const postgres = postgresForTests('replicas_rotate')

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  return new Promise((r) => child.once('exit', (code) => r({ code, out })))
}

describe('rotating the master key of a cluster', { skip: postgres ? false : POSTGRES_SKIP }, () => {
  it('re-seals everything in one go; the old key is refused afterwards', async () => {
    const pgt = postgres!
    const schema = pgt.schema('rotate')
    const dir = scratchDir()
    const oldKey = masterKeyFile(dir)
    const newKey = masterKeyFile(dir)
    const publicUrl = 'https://127.0.0.1:9'
    const first = await startReplicaProcess({ url: pgt.url, schema, keyFile: oldKey, publicUrl })
    const creds = await credentials({ url: pgt.url, schema, keyFile: oldKey, publicUrl })
    const ca = readFileSync(join(creds, 'ca.crt'), 'utf8')
    const admin = JSON.parse(readFileSync(join(creds, 'admin.json'), 'utf8'))
    const jwks = async (listening: string) =>
      (await https(`${listening}/${admin.tenantId}/discovery/v2.0/keys`, { ca })).json()
    const before = await jwks(first.endpoints.listening)
    assert.equal(await first.stop(), 0)

    const db = ['--database-url', pgt.url, '--database-schema', schema]
    const wrong = await run([
      'server',
      'rotate-master-key',
      ...db,
      '--old',
      newKey,
      '--new',
      oldKey,
    ])
    assert.equal(wrong.code, 1, wrong.out)
    assert.match(wrong.out, /master key does not match/)

    const rotated = await run([
      'server',
      'rotate-master-key',
      ...db,
      '--old',
      oldKey,
      '--new',
      newKey,
    ])
    assert.equal(rotated.code, 0, rotated.out)
    assert.match(rotated.out, /1 signingKeys/)

    const stale = spawnReplica({ url: pgt.url, schema, keyFile: oldKey, publicUrl })
    const staleCode = await new Promise((r) => stale.once('exit', (c) => r(c)))
    assert.equal(staleCode, 1)

    const after = await startReplicaProcess({ url: pgt.url, schema, keyFile: newKey, publicUrl })
    try {
      assert.equal(after.endpoints.tenantId, admin.tenantId)
      assert.deepEqual(await jwks(after.endpoints.listening), before, 'the same signing key')
      const again = await credentials({ url: pgt.url, schema, keyFile: newKey, publicUrl })
      assert.equal(readFileSync(join(again, 'ca.crt'), 'utf8'), ca, 'the same CA')
      // The operator's credential still opens, and the same secret still gets a token.
      assert.deepEqual(JSON.parse(readFileSync(join(again, 'admin.json'), 'utf8')), admin)
      const at = {
        endpoints: { authorityHost: after.endpoints.listening, tenantId: admin.tenantId },
        ca,
      }
      assert.ok(await clientToken(at, admin, 'https://management.azure.com/'))
    } finally {
      await after.stop()
    }
  })
})
