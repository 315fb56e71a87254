// The stock Python `azure-keyvault-keys` client (Debian's python3-azure) against a Keyless vault,
// in a program started by `keyless run --as <web app>` that finds its identity with
// azure-identity's DefaultAzureCredential: create, sign/verify, encrypt/decrypt, wrap/unwrap,
// list, rotate, backup/restore. Its
// signatures are cross-checked here with node's crypto and the public JWKs it printed. Skips,
// saying so, where the Python packages are not installed.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { constants, createPublicKey, verify } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runAs } from '../blob/blob.config.js'
import { ROLES, startVaultEnv, type VaultEnv } from './vault.config.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dirname, '../../../../test/e2e/vault/fixtures/keys_client.py')
const probe = spawnSync(PYTHON, ['-c', 'import azure.keyvault.keys, azure.identity'], {
  encoding: 'utf8',
})
const missing =
  probe.status === 0
    ? false
    : 'the Python azure-keyvault-keys and azure-identity clients are not installed (apt-get install python3-azure)'

describe('vault keys with the Python client', { skip: missing }, () => {
  let env: VaultEnv

  before(async () => {
    env = await startVaultEnv()
  })
  after(async () => env?.dispose())

  it('creates, signs, encrypts, wraps, rotates and restores under keyless run; node verifies its signatures', async () => {
    const vault = await env.createVault('kv-keys-py')
    const w = await env.createWorkload('keys-py', { local: true })
    await env.assign(vault.id, ROLES.cryptoOfficer, w.principalId)
    const run = await runAs(env.k, w.id, [SCRIPT, vault.url], undefined, PYTHON).done
    assert.equal(run.code, 0, run.stderr)
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!)
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
