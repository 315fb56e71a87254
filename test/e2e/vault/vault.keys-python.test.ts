// The stock Python `azure-keyvault-keys` client (Debian's python3-azure) against a Keyless vault:
// create, sign/verify, encrypt/decrypt, wrap/unwrap, list, rotate, backup/restore. Its
// signatures are cross-checked here with node's crypto and the public JWKs it printed. Skips,
// saying so, where the Python packages are not installed.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { constants, createPublicKey, verify } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ROLES, startVaultEnv, type VaultEnv } from './vault.config.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dirname, '../../../../test/e2e/vault/fixtures/keys_client.py')
const probe = spawnSync(PYTHON, ['-c', 'import azure.keyvault.keys, azure.core'], {
  encoding: 'utf8',
})
const missing =
  probe.status === 0
    ? false
    : 'the Python azure-keyvault-keys client is not installed (apt-get install python3-azure)'

describe('vault keys with the Python client', { skip: missing }, () => {
  let env: VaultEnv
  let dir: string

  before(async () => {
    env = await startVaultEnv()
    dir = mkdtempSync(join(tmpdir(), 'keyless-py-'))
  })
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    await env?.dispose()
  })

  it('creates, signs, encrypts, wraps, rotates and restores; node verifies its signatures', async () => {
    const vault = await env.createVault('kv-keys-py')
    const w = await env.createWorkload('keys-py')
    await env.assign(vault.id, ROLES.cryptoOfficer, w.principalId)
    const ca = join(dir, 'ca.pem')
    writeFileSync(ca, env.k.ca)
    const run = spawnSync(PYTHON, [SCRIPT, vault.url, ca], {
      input: await env.token(w),
      encoding: 'utf8',
      timeout: 120_000,
    })
    assert.equal(run.status, 0, run.stderr)
    const out = JSON.parse(run.stdout)
    assert.equal(out.decrypted, 'python secret')
    assert.equal(out.unwrapped, '0123456789abcdef')
    assert.deepEqual(out.listed, ['py-ec', 'py-rsa'])
    assert.equal(out.rotated, true)
    assert.equal(out.restored, true)
    const message = Buffer.from(out.message)
    const rsa = createPublicKey({ key: { kty: 'RSA', n: out.rsa.n, e: out.rsa.e }, format: 'jwk' })
    const ec = createPublicKey({
      key: { kty: 'EC', crv: out.ec.crv, x: out.ec.x, y: out.ec.y },
      format: 'jwk',
    })
    const sig = (alg: string) => Buffer.from(out.signatures[alg].value, 'base64url')
    for (const alg of ['RS256', 'PS256', 'ES256']) assert.equal(out.signatures[alg].verified, true)
    assert.equal(verify('sha256', message, rsa, sig('RS256')), true)
    assert.equal(
      verify(
        'sha256',
        message,
        { key: rsa, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        sig('PS256'),
      ),
      true,
    )
    assert.equal(
      verify('sha256', message, { key: ec, dsaEncoding: 'ieee-p1363' }, sig('ES256')),
      true,
    )
  })
})
