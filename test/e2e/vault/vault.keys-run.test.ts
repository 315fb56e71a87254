// Key Vault keys from programs started by `keyless run --as <web app>`, each using only
// ManagedIdentityCredential, KeyClient and CryptographyClient: a Crypto Officer creates the keys,
// a Crypto User signs, encrypts, decrypts, wraps and unwraps with them but cannot delete them, a
// Secrets User cannot sign; the vault's signatures verify with node's crypto and the public JWK,
// and data encrypted locally with that JWK decrypts in the vault.
import assert from 'node:assert/strict'
import { constants, createHash, createPublicKey, publicEncrypt, verify } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { runAs } from '../blob/blob.config.js'
import { ROLES, startVaultEnv, type Vault, type VaultEnv } from './vault.config.js'

const FIXTURE = join(import.meta.dirname, 'keys-client.fixture.js')

interface StepResult {
  op: string
  ok: boolean
  value?: any
  status?: number
  code?: string
}

describe('vault keys from programs under keyless run', () => {
  let env: VaultEnv
  let vault: Vault
  const as = async (app: string, steps: object[]): Promise<StepResult[]> => {
    const r = await runAs(env.k, app, [FIXTURE, JSON.stringify({ vaultUrl: vault.url, steps })])
      .done
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout.trim().split('\n').pop()!)
  }

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-keys-run')
  })
  after(async () => env?.dispose())

  it('signs, encrypts and wraps as Crypto User, refuses it deleting and a Secrets User signing', async () => {
    const workload = async (name: string, role: string) => {
      const w = await env.createWorkload(name, { local: true })
      await env.assign(vault.id, role, w.principalId)
      return w.id
    }
    const officer = await workload('keys-run-officer', ROLES.cryptoOfficer)
    const user = await workload('keys-run-user', ROLES.cryptoUser)
    const secrets = await workload('keys-run-secrets', ROLES.user)
    await sleep(1000)

    const [rsa, ec] = await as(officer, [
      { op: 'createRsa', name: 'run-rsa', size: 2048 },
      { op: 'createEc', name: 'run-ec', curve: 'P-256' },
    ])
    assert.equal(rsa?.ok, true, JSON.stringify(rsa))
    assert.equal(rsa.value.hasD, false, 'no private part returned')
    assert.equal(ec?.ok, true, JSON.stringify(ec))
    const rsaKey = createPublicKey({ key: { kty: 'RSA', ...rsa.value }, format: 'jwk' })
    const ecKey = createPublicKey({
      key: { kty: 'EC', crv: ec.value.crv, x: ec.value.x, y: ec.value.y },
      format: 'jwk',
    })

    const message = Buffer.from('an order from keyless run')
    const digest = createHash('sha256').update(message).digest().toString('base64url')
    const secret = Buffer.from('0123456789abcdef')
    const local = publicEncrypt(
      { key: rsaKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      secret,
    ).toString('base64url')
    const r = await as(user, [
      { op: 'sign', name: 'run-rsa', alg: 'RS256', digest },
      { op: 'sign', name: 'run-ec', alg: 'ES256', digest },
      { op: 'decrypt', name: 'run-rsa', alg: 'RSA-OAEP-256', data: local },
      { op: 'encrypt', name: 'run-rsa', alg: 'RSA-OAEP', data: secret.toString('base64url') },
      { op: 'wrap', name: 'run-rsa', alg: 'RSA-OAEP-256', data: secret.toString('base64url') },
      { op: 'deleteKey', name: 'run-rsa' },
    ])
    const [rs256, es256, decrypted, encrypted, wrapped, deleted] = r
    for (const step of [rs256, es256, decrypted, encrypted, wrapped])
      assert.equal(step?.ok, true, JSON.stringify(step))
    const sig = (s: StepResult) => Buffer.from(s.value, 'base64url')
    assert.equal(verify('sha256', message, rsaKey, sig(rs256!)), true)
    assert.equal(
      verify('sha256', message, { key: ecKey, dsaEncoding: 'ieee-p1363' }, sig(es256!)),
      true,
    )
    assert.equal(Buffer.from(decrypted!.value, 'base64url').toString(), secret.toString())
    assert.deepEqual([deleted?.status, deleted?.code], [403, 'Forbidden'])

    const [roundTrip, unwrapped, verified] = await as(user, [
      { op: 'decrypt', name: 'run-rsa', alg: 'RSA-OAEP', data: encrypted!.value },
      { op: 'unwrap', name: 'run-rsa', alg: 'RSA-OAEP-256', data: wrapped!.value },
      { op: 'verify', name: 'run-ec', alg: 'ES256', digest, sig: es256!.value },
    ])
    assert.equal(Buffer.from(roundTrip!.value, 'base64url').toString(), secret.toString())
    assert.equal(Buffer.from(unwrapped!.value, 'base64url').toString(), secret.toString())
    assert.equal(verified!.value, true)

    const [refused] = await as(secrets, [{ op: 'sign', name: 'run-rsa', alg: 'RS256', digest }])
    assert.deepEqual([refused?.status, refused?.code], [403, 'Forbidden'])
  })
})
