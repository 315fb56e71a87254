// Every Key Vault key operation and algorithm from ONE program started by `keyless run --as` a
// Crypto Officer web app (keys-suite.fixture: DefaultAzureCredential, KeyClient,
// CryptographyClient, one node process). The test hands it key pairs to import and data sealed
// with their public halves, then checks every entry of the program's report: signatures made in
// the vault verify here with node's crypto and the public JWK the vault returned, data sealed
// here or in the program decrypts in the vault, the life of a key runs end to end, and RSA1_5
// meets Keyless's documented refusal.
import assert from 'node:assert/strict'
import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  verify,
  type JsonWebKey,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { SIGNATURE_ALGORITHMS } from '../../../src/domain/vault-keys.js'
import { runAs } from '../blob/blob.config.js'
import { ROLES, startVaultEnv, type Vault, type VaultEnv } from './vault.config.js'

const FIXTURE = join(import.meta.dirname, 'keys-suite.fixture.js')
const README = join(import.meta.dirname, '../../../../README.md')

type Entry = { ok: true; value: any } | { ok: false; status: number; code: string; inner?: string }

describe('every key operation and algorithm from one program under keyless run', () => {
  let env: VaultEnv
  let vault: Vault
  let report: Record<string, Entry>
  let officerPrincipal: string
  const message = randomBytes(100)
  const secret = Buffer.from('a 32-byte data-encryption key!!!')
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const sealed = Object.fromEntries(
    (['RSA-OAEP', 'RSA-OAEP-256'] as const).map((alg) => [
      alg,
      publicEncrypt(
        {
          key: rsa.publicKey,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256',
        },
        secret,
      ).toString('base64url'),
    ]),
  )

  const ok = (name: string) => {
    const e = report[name]
    assert.ok(e, `no entry '${name}'`)
    assert.equal(e.ok, true, `${name}: ${JSON.stringify(e)}`)
    return (e as { value: any }).value
  }
  const refused = (name: string, status: number, code: string, inner?: string) => {
    const e = report[name]
    assert.ok(e && !e.ok, `${name} should fail: ${JSON.stringify(e)}`)
    assert.deepEqual([e.status, e.code], [status, code], `${name}: ${JSON.stringify(e)}`)
    if (inner) assert.equal(e.inner, inner, `${name}: ${JSON.stringify(e)}`)
  }
  const publicKey = (jwk: JsonWebKey) => createPublicKey({ key: jwk, format: 'jwk' })

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-keys-all')
    const officer = await env.createWorkload('keys-all-officer', { local: true })
    await env.assign(vault.id, ROLES.cryptoOfficer, officer.principalId)
    officerPrincipal = officer.principalId
    await sleep(1000)
    const input = {
      vaultUrl: vault.url,
      message: message.toString('base64url'),
      imports: {
        rsa: rsa.privateKey.export({ format: 'jwk' }),
        ec: ec.privateKey.export({ format: 'jwk' }),
      },
      sealed,
    }
    const r = await runAs(env.k, officer.id, [FIXTURE, JSON.stringify(input)]).done
    assert.equal(r.code, 0, r.stderr)
    report = JSON.parse(r.stdout.trim().split('\n').pop()!)
  })
  after(async () => env?.dispose())

  it('authenticates as the web app keyless run named, with DefaultAzureCredential', () => {
    const { oid, aud } = ok('token')
    assert.equal(oid, officerPrincipal)
    assert.match(aud, /^https:\/\/vault\.azure\.net\/?$/)
  })

  it('creates RSA 2048/3072/4096 and EC P-256/384/521 keys with key_ops and attributes', () => {
    for (const [name, kty, size] of [
      ['rsa-2048', 'RSA', 256],
      ['rsa-3072', 'RSA', 384],
      ['rsa-4096', 'RSA', 512],
    ] as const) {
      const k = ok(`create ${name}`)
      assert.equal(k.jwk.kty, kty)
      assert.equal(Buffer.from(k.jwk.n, 'base64url').length, size, name)
      assert.equal(k.hasD, false, `${name}: no private part returned`)
      assert.match(k.id, new RegExp(`^${vault.url}keys/${name}/[0-9a-f]{32}$`))
    }
    assert.deepEqual(ok('create rsa-2048').keyOps.sort(), [
      'decrypt',
      'encrypt',
      'sign',
      'unwrapKey',
      'verify',
      'wrapKey',
    ])
    const r3072 = ok('create rsa-3072')
    assert.equal(r3072.keyOps.length, 6)
    assert.deepEqual(r3072.tags, { size: '3072' })
    assert.equal(r3072.enabled, true)
    assert.ok(Date.parse(r3072.nbf) < Date.now() && Date.parse(r3072.exp) > Date.now())
    assert.deepEqual(ok('create rsa-4096').keyOps, ['sign', 'verify'])
    for (const crv of ['P-256', 'P-384', 'P-521']) {
      const k = ok(`create ec-${crv}`)
      assert.deepEqual([k.jwk.kty, k.jwk.crv, k.hasD], ['EC', crv, false])
      assert.deepEqual(k.keyOps.sort(), ['sign', 'verify'])
    }
    assert.equal(ok('create disabled').enabled, false)
    assert.ok(Date.parse(ok('create not-yet').nbf) > Date.now())
    assert.ok(Date.parse(ok('create expired').exp) < Date.now())
  })

  it('imports key pairs made here, returning only their public halves', () => {
    const r = ok('create imported-rsa')
    assert.equal(r.hasD, false)
    assert.equal(r.jwk.n, rsa.publicKey.export({ format: 'jwk' }).n)
    const e = ok('create imported-ec')
    assert.equal(e.hasD, false)
    assert.deepEqual(
      [e.jwk.crv, e.jwk.x, e.jwk.y],
      ['P-384', ec.publicKey.export({ format: 'jwk' }).x, ec.publicKey.export({ format: 'jwk' }).y],
    )
  })

  it('signs with all nine algorithms in the vault; node verifies each with the public JWK', () => {
    const entries = [
      ...Object.keys(SIGNATURE_ALGORITHMS).map((alg) => [`sign ${alg}`, alg, undefined] as const),
      ['sign imported-rsa PS512', 'PS512', rsa.publicKey] as const,
      ['sign imported-ec ES384', 'ES384', ec.publicKey] as const,
    ]
    assert.equal(entries.length, 11)
    for (const [name, alg, own] of entries) {
      const s = ok(name)
      const a = SIGNATURE_ALGORITHMS[alg]!
      assert.equal(s.verified, true, `${name}: the vault verifies its signature`)
      assert.equal(s.rejected, true, `${name}: the vault rejects it for another digest`)
      const created = ok(`create ${s.key}`)
      assert.equal(s.kid, created.id)
      const key = own ?? publicKey(created.jwk)
      const options =
        a.scheme === 'pss'
          ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.digestBytes }
          : a.scheme === 'ecdsa'
            ? { key, dsaEncoding: 'ieee-p1363' as const }
            : { key }
      const signature = Buffer.from(s.signature, 'base64url')
      assert.equal(verify(a.hash, message, options, signature), true, `${name}: node verifies`)
      assert.equal(verify(a.hash, randomBytes(8), options, signature), false, name)
    }
  })

  it('encrypts, decrypts, wraps and unwraps with RSA-OAEP and RSA-OAEP-256', () => {
    const plain = secret.toString('base64url')
    for (const alg of ['RSA-OAEP', 'RSA-OAEP-256']) {
      for (const path of [
        'encrypt/decrypt',
        'vault encrypt/decrypt',
        'local encrypt/vault decrypt',
        'test-sealed/vault decrypt',
        'wrap/unwrap',
        'vault wrap/unwrap',
      ])
        assert.equal(ok(`${path} ${alg}`), plain, `${path} ${alg}`)
    }
  })

  it('refuses RSA1_5 in the vault with 400 BadParameter, as the README documents', () => {
    // The SDK encrypts RSA1_5 locally with the public key; the vault will not decrypt it.
    assert.ok(ok('RSA1_5 sdk local encrypt').length > 300)
    for (const name of ['RSA1_5 decrypt', 'RSA1_5 unwrapKey', 'RSA1_5 vault encrypt'])
      refused(name, 400, 'BadParameter')
    refused('RSA1_5 vault wrapKey', 400, 'BadParameter')
    const readme = readFileSync(README, 'utf8')
    assert.match(readme, /RSA1_5, which Azure still accepts, is\s+refused with 400 `BadParameter`/)
    assert.match(readme, /CVE-2023-46809/)
  })

  it('enforces key_ops, enabled, nbf and exp in the vault', () => {
    refused('key_ops: encrypt with a sign-only key', 403, 'Forbidden', 'KeyOperationForbidden')
    refused('sign with disabled key', 403, 'Forbidden', 'KeyDisabled')
    refused('sign with not-yet key', 403, 'Forbidden', 'KeyNotYetValid')
    refused('sign with expired key', 403, 'Forbidden', 'KeyExpired')
    refused('sign after update to verify-only', 403, 'Forbidden', 'KeyOperationForbidden')
    assert.equal(ok('enable the disabled key').enabled, true)
    assert.ok(ok('sign with the re-enabled key') > 0)
  })

  it('gets, lists, lists versions and updates keys', () => {
    const got = ok('get')
    assert.equal(got.id, ok('create rsa-3072').id)
    assert.equal(got.hasD, false)
    assert.equal(ok('get version').id, ok('create rsa-2048').id)
    const second = ok('create second version')
    assert.notEqual(second.version, ok('create rsa-2048').version)
    const names = ok('list') as string[]
    for (const n of ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-P-256', 'imported-rsa', 'expired'])
      assert.ok(names.includes(n), `${n} in ${names.join()}`)
    assert.deepEqual(ok('list versions'), [ok('create rsa-2048').version, second.version].sort())
    const updated = ok('update')
    assert.equal(updated.id, second.id)
    assert.deepEqual(updated.keyOps, ['verify'])
    assert.deepEqual(updated.tags, { stage: 'two' })
    assert.ok(Date.parse(updated.exp) > Date.now() + 47 * 3_600_000)
  })

  it('soft-deletes, recovers and purges', () => {
    assert.match(ok('delete').recoveryId, /deletedkeys\/ec-P-256$/)
    refused('get deleted key (active)', 404, 'KeyNotFound')
    assert.equal(ok('get deleted'), 'ec-P-256')
    assert.deepEqual(ok('list deleted'), ['ec-P-256'])
    assert.equal(ok('recover'), ok('create ec-P-256').id)
    assert.deepEqual(ok('purge'), [])
    refused('get purged', 404, 'KeyNotFound')
  })

  it('backs up and restores a key, which signs again with its old public key', () => {
    assert.ok(ok('backup').length > 100)
    const restored = ok('restore')
    const original = ok('create ec-P-384')
    assert.equal(restored.id, original.id)
    const signature = Buffer.from(restored.signature, 'base64url')
    const key = { key: publicKey(original.jwk), dsaEncoding: 'ieee-p1363' as const }
    assert.equal(verify('sha384', message, key, signature), true)
    refused('restore again', 409, 'Conflict')
  })

  it('reads and sets the rotation policy, and rotates into a new version', () => {
    assert.deepEqual(ok('get rotation policy').actions, ['Notify'])
    assert.deepEqual(ok('update rotation policy'), {
      actions: [['Rotate', 'P90D']],
      expiresIn: 'P1Y',
    })
    const rotated = ok('rotate')
    assert.notEqual(rotated.id, rotated.previous)
    assert.equal(rotated.latest, rotated.id)
    assert.equal(rotated.versions, 2)
    assert.equal(rotated.jwk.crv, 'P-521')
    assert.ok(Math.abs(Date.parse(rotated.exp) - (Date.now() + 365 * 86_400_000)) < 600_000)
  })

  it('reports nothing it was not asked for, and no entry went unchecked', () => {
    assert.equal(Object.keys(report).length, 66)
  })
})
