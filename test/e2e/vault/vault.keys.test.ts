// Key Vault keys through the stock KeyClient and CryptographyClient: every key type and size,
// every algorithm, with cross-checks against node's crypto and the public JWK (signatures made
// in the vault verify locally; data encrypted locally decrypts in the vault), the full life of a
// key (update, versions, soft delete, recover, purge, backup/restore, rotate, rotation policy),
// and the store holding no private key material in the clear.
import assert from 'node:assert/strict'
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  constants,
  publicEncrypt,
  randomBytes,
  verify as nodeVerify,
  type JsonWebKey as NodeJwk,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  CryptographyClient,
  KeyClient,
  type JsonWebKey as SdkJwk,
  type KeyVaultKey,
} from '@azure/keyvault-keys'
import { SIGNATURE_ALGORITHMS } from '../../../src/domain/vault-keys.js'
import { purposeKey } from '../../helpers/keyless.js'
import {
  ROLES,
  startVaultEnv,
  vaultRequest,
  withApi,
  type Vault,
  type VaultEnv,
} from './vault.config.js'

const b64 = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('base64url')

/** The SDK's JWK (bytes) as node's (base64url strings), public members only. */
function nodeJwk(key: KeyVaultKey): NodeJwk {
  const k = key.key!
  return k.kty === 'RSA'
    ? { kty: 'RSA', n: b64(k.n), e: b64(k.e) }
    : { kty: 'EC', crv: k.crv!, x: b64(k.x), y: b64(k.y) }
}

describe('vault keys', () => {
  let env: VaultEnv
  let vault: Vault
  let keys: KeyClient
  const crypto = (key: KeyVaultKey | string) =>
    new CryptographyClient(key as string, env.credential(officerW), {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    })
  let officerW: Awaited<ReturnType<VaultEnv['createWorkload']>>

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-keys')
    officerW = await env.createWorkload('keys-officer')
    await env.assign(vault.id, ROLES.cryptoOfficer, officerW.principalId)
    keys = new KeyClient(vault.url, env.credential(officerW), {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    })
  })
  after(async () => env?.dispose())

  const created: Record<string, KeyVaultKey> = {}

  for (const size of [2048, 3072, 4096]) {
    it(`creates an RSA ${size} key and returns only its public part`, async () => {
      const key = await keys.createRsaKey(`rsa-${size}`, {
        keySize: size,
        tags: { size: `${size}` },
      })
      assert.equal(key.keyType, 'RSA')
      assert.equal(key.key!.n!.length, size / 8)
      assert.equal(key.key!.d, undefined)
      assert.deepEqual(key.keyOperations?.sort(), [
        'decrypt',
        'encrypt',
        'sign',
        'unwrapKey',
        'verify',
        'wrapKey',
      ])
      assert.match(key.id!, new RegExp(`^${vault.url}keys/rsa-${size}/[0-9a-f]{32}$`))
      const got = await keys.getKey(`rsa-${size}`)
      assert.equal(got.id, key.id)
      assert.equal(got.key!.d, undefined)
      assert.deepEqual(got.properties.tags, { size: `${size}` })
      created[`rsa-${size}`] = key
    })
  }

  for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
    it(`creates an EC ${curve} key`, async () => {
      const name = `ec-${curve.slice(2)}`
      const key = await keys.createEcKey(name, { curve })
      assert.equal(key.keyType, 'EC')
      assert.equal(key.key!.crv, curve)
      assert.equal(key.key!.d, undefined)
      assert.deepEqual(key.keyOperations?.sort(), ['sign', 'verify'])
      created[name] = key
    })
  }

  for (const [alg, a] of Object.entries(SIGNATURE_ALGORITHMS)) {
    it(`${alg}: signs in the vault, node verifies with the public JWK, the vault verifies`, async () => {
      const key = a.kty === 'RSA' ? created['rsa-2048']! : created[`ec-${a.curve!.slice(2)}`]!
      const c = crypto(key.id!)
      const message = randomBytes(64)
      const digest = createHash(a.hash).update(message).digest()
      const signed = await c.sign(alg, digest)
      assert.equal(signed.keyID, key.id)
      const publicKey = createPublicKey({ key: nodeJwk(key), format: 'jwk' })
      const options =
        a.scheme === 'pss'
          ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.digestBytes }
          : a.scheme === 'ecdsa'
            ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const }
            : { key: publicKey }
      assert.equal(nodeVerify(a.hash, message, options, Buffer.from(signed.result)), true)
      assert.equal((await c.verify(alg, digest, signed.result)).result, true)
      const other = createHash(a.hash).update('other').digest()
      assert.equal((await c.verify(alg, other, signed.result)).result, false)
      // signData hashes locally and signs in the vault; verifyData checks it (locally for RSA:
      // the SDK's local verifier assumes PKCS#1 v1.5 padding, so PS* is checked in the vault).
      const data = await c.signData(alg, message)
      const verified =
        a.scheme === 'pss'
          ? await c.verify(alg, digest, data.result)
          : await c.verifyData(alg, message, data.result)
      assert.equal(verified.result, true)
    })
  }

  for (const alg of ['RSA-OAEP', 'RSA-OAEP-256'] as const) {
    it(`${alg}: data encrypted locally with the public key decrypts in the vault`, async () => {
      const key = created['rsa-3072']!
      const c = crypto(key.id!)
      const plaintext = randomBytes(48)
      const local = publicEncrypt(
        {
          key: createPublicKey({ key: nodeJwk(key), format: 'jwk' }),
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256',
        },
        plaintext,
      )
      const opened = await c.decrypt({ algorithm: alg, ciphertext: local })
      assert.deepEqual(Buffer.from(opened.result), plaintext)
      const sealed = await c.encrypt({ algorithm: alg, plaintext })
      assert.deepEqual(
        Buffer.from((await c.decrypt({ algorithm: alg, ciphertext: sealed.result })).result),
        plaintext,
      )
      const wrapped = await c.wrapKey(alg, plaintext)
      assert.deepEqual(Buffer.from((await c.unwrapKey(alg, wrapped.result)).result), plaintext)
    })
  }

  it('encrypts in the vault when the caller cannot read the key (remote-only path)', async () => {
    const token = await env.token(officerW)
    const id = created['rsa-2048']!.id!
    const res = await vaultRequest(withApi(`${id}/encrypt`), {
      method: 'POST',
      token,
      ca: env.k.ca,
      body: { alg: 'RSA-OAEP-256', value: b64(Buffer.from('remote')) },
    })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.json().kid, id)
    const back = await crypto(id).decrypt({
      algorithm: 'RSA-OAEP-256',
      ciphertext: Buffer.from(res.json().value, 'base64url'),
    })
    assert.equal(Buffer.from(back.result).toString(), 'remote')
  })

  it('refuses RSA1_5, wrong-sized digests and algorithms that do not fit the key', async () => {
    const token = await env.token(officerW)
    const rsa = created['rsa-2048']!.id!
    const ec = created['ec-256']!.id!
    const cases: [string, unknown, RegExp][] = [
      [`${rsa}/encrypt`, { alg: 'RSA1_5', value: 'AAAA' }, /RSA1_5 is not supported/],
      [`${rsa}/decrypt`, { alg: 'RSA1_5', value: 'AAAA' }, /RSA1_5 is not supported/],
      [`${rsa}/sign`, { alg: 'RS256', value: b64(randomBytes(20)) }, /Invalid length of digest/],
      [`${rsa}/sign`, { alg: 'ES256', value: b64(randomBytes(32)) }, /incompatible/],
      [`${ec}/sign`, { alg: 'ES384', value: b64(randomBytes(48)) }, /incompatible/],
      [`${ec}/encrypt`, { alg: 'RSA-OAEP', value: 'AAAA' }, /not permitted/],
      [`${rsa}/sign`, { alg: 'HS256', value: 'AAAA' }, /Invalid algorithm/],
      [`${rsa}/encrypt`, { alg: 'RSA-OAEP', value: b64(randomBytes(300)) }, /too long/],
      [
        `${rsa}/decrypt`,
        { alg: 'RSA-OAEP', value: b64(randomBytes(256)) },
        /could not be decrypted/,
      ],
      [`${rsa}/sign`, { alg: 'RS256', value: 'not base64!' }, /base64url/],
    ]
    for (const [url, body, message] of cases) {
      const res = await vaultRequest(withApi(url), { method: 'POST', token, ca: env.k.ca, body })
      assert.ok(res.status === 400 || res.status === 403, `${url} ${res.status} ${res.text}`)
      assert.match(res.json().error.message, message, url)
    }
    const bad = await vaultRequest(withApi(`${vault.url}keys/x/create`), {
      method: 'POST',
      token,
      ca: env.k.ca,
      body: { kty: 'RSA', key_size: 1024 },
    })
    assert.equal(bad.status, 400)
    assert.equal(bad.json().error.code, 'BadParameter')
  })

  it('imports a key made elsewhere: the vault signs with it, the original verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const jwk = privateKey.export({ format: 'jwk' })
    const bytes = (v: string | undefined) => Buffer.from(v ?? '', 'base64url')
    const imported = await keys.importKey('imported', {
      kty: 'EC',
      crv: 'P-384',
      x: bytes(jwk.x),
      y: bytes(jwk.y),
      d: bytes(jwk.d),
    } as SdkJwk)
    assert.equal(imported.key!.d, undefined)
    const message = Buffer.from('imported')
    const signed = await crypto(imported.id!).signData('ES384', message)
    assert.equal(
      nodeVerify(
        'sha384',
        message,
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signed.result),
      ),
      true,
    )
    const token = await env.token(officerW)
    const publicOnly = await vaultRequest(withApi(`${vault.url}keys/public-only`), {
      method: 'PUT',
      token,
      ca: env.k.ca,
      body: { key: { kty: 'EC', crv: 'P-384', x: jwk.x, y: jwk.y } },
    })
    assert.equal(publicOnly.status, 400)
    assert.match(publicOnly.json().error.message, /private part/)
  })

  it('updates, versions, disables, and limits a key to its key_ops', async () => {
    const first = await keys.createRsaKey('life')
    const second = await keys.createRsaKey('life')
    const versions: string[] = []
    for await (const p of keys.listPropertiesOfKeyVersions('life')) versions.push(p.version!)
    assert.deepEqual(
      versions.sort(),
      [first.properties.version!, second.properties.version!].sort(),
    )
    const names: string[] = []
    for await (const p of keys.listPropertiesOfKeys()) names.push(p.name)
    assert.ok(names.includes('life') && names.includes('rsa-4096'), names.join())

    const updated = await keys.updateKeyProperties('life', second.properties.version!, {
      keyOps: ['verify'],
      tags: { stage: 'two' },
    })
    assert.deepEqual(updated.keyOperations, ['verify'])
    const c = crypto(second.id!)
    await assert.rejects(
      crypto(`${vault.url}keys/life/${second.properties.version}`)
        .sign('RS256', randomBytes(32))
        .then(() => undefined),
      (e: any) => /not supported on key|not permitted/.test(e.message),
    )
    void c
    await keys.updateKeyProperties('life', first.properties.version!, { enabled: false })
    const token = await env.token(officerW)
    const res = await vaultRequest(withApi(`${first.id}/sign`), {
      method: 'POST',
      token,
      ca: env.k.ca,
      body: { alg: 'RS256', value: b64(randomBytes(32)) },
    })
    assert.equal(res.status, 403)
    assert.equal(res.json().error.innererror.code, 'KeyDisabled')
    const expired = await keys.createEcKey('expired', {
      expiresOn: new Date(Date.now() - 60_000),
    })
    const late = await vaultRequest(withApi(`${expired.id}/sign`), {
      method: 'POST',
      token,
      ca: env.k.ca,
      body: { alg: 'ES256', value: b64(randomBytes(32)) },
    })
    assert.equal(late.status, 403)
    assert.equal(late.json().error.innererror.code, 'KeyExpired')
  })

  it('soft-deletes, recovers and purges a key as the secrets do', async () => {
    await keys.createEcKey('doomed')
    const deleting = await keys.beginDeleteKey('doomed')
    const deleted = await deleting.pollUntilDone()
    assert.match(deleted.properties.recoveryId!, /deletedkeys\/doomed$/)
    await assert.rejects(
      keys.getKey('doomed'),
      (e: any) => e.statusCode === 404 && e.code === 'KeyNotFound',
    )
    await assert.rejects(keys.createEcKey('doomed'), (e: any) => e.statusCode === 409)
    const listed: string[] = []
    for await (const d of keys.listDeletedKeys()) listed.push(d.name)
    assert.deepEqual(listed, ['doomed'])
    await (await keys.beginRecoverDeletedKey('doomed')).pollUntilDone()
    assert.equal((await keys.getKey('doomed')).name, 'doomed')
    await (await keys.beginDeleteKey('doomed')).pollUntilDone()
    await keys.purgeDeletedKey('doomed')
    await assert.rejects(keys.getDeletedKey('doomed'), (e: any) => e.statusCode === 404)
    assert.equal((await keys.createEcKey('doomed')).name, 'doomed')
  })

  it('backs up a key as an opaque blob that restores, with its private part, only here', async () => {
    const original = await keys.createRsaKey('backed')
    await keys.updateKeyRotationPolicy('backed', {
      lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }],
    })
    const blob = await keys.backupKey('backed')
    assert.ok(blob !== undefined && blob.length > 100)
    const text = Buffer.from(blob).toString('utf8')
    assert.ok(!text.includes(b64(original.key!.n)), 'the blob is sealed, not plain JSON')
    await (await keys.beginDeleteKey('backed')).pollUntilDone()
    await keys.purgeDeletedKey('backed')
    const restored = await keys.restoreKeyBackup(blob)
    assert.equal(restored.id, original.id)
    const message = Buffer.from('restored')
    const signed = await crypto(restored.id!).signData('PS256', message)
    const pub = createPublicKey({ key: nodeJwk(original), format: 'jwk' })
    assert.equal(
      nodeVerify(
        'sha256',
        message,
        { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        Buffer.from(signed.result),
      ),
      true,
    )
    assert.equal((await keys.getKeyRotationPolicy('backed')).lifetimeActions?.[0]?.action, 'Rotate')
    await assert.rejects(keys.restoreKeyBackup(blob), (e: any) => e.statusCode === 409)
    const forged = Buffer.from(blob)
    forged[forged.length - 5] = (forged[forged.length - 5] ?? 0) ^ 1
    await assert.rejects(keys.restoreKeyBackup(forged), (e: any) => e.statusCode === 400)
  })

  it('rotates a key into a new version, with the policy’s expiry', async () => {
    const first = await keys.createEcKey('rotating', { curve: 'P-256' })
    assert.equal(
      (await keys.getKeyRotationPolicy('rotating')).lifetimeActions?.[0]?.action,
      'Notify',
    )
    const policy = await keys.updateKeyRotationPolicy('rotating', {
      lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }],
      expiresIn: 'P1Y',
    })
    assert.equal(policy.expiresIn, 'P1Y')
    assert.equal(policy.lifetimeActions?.[0]?.timeAfterCreate, 'P90D')
    const rotated = await keys.rotateKey('rotating')
    assert.notEqual(rotated.properties.version, first.properties.version)
    assert.equal(rotated.key!.crv, 'P-256')
    const exp = rotated.properties.expiresOn!.getTime()
    assert.ok(Math.abs(exp - (Date.now() + 365 * 86_400_000)) < 120_000, String(exp))
    assert.equal((await keys.getKey('rotating')).id, rotated.id)
    await assert.rejects(
      keys.updateKeyRotationPolicy('rotating', {
        lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P1D' }],
      }),
      (e: any) => e.statusCode === 400,
    )
  })

  it('keeps no private key material in the clear in the store', async () => {
    const rows = await env.store.vaultKeys.listAllVersions(vault.id, 'rsa-2048')
    assert.equal(rows.length, 1)
    const row = rows[0]!
    assert.equal(row.private_enc.split('.').length, 5, 'a compact JWE')
    assert.ok(!row.public_jwk.includes('"d"'))
    // The private exponent, as the vault holds it, appears nowhere in the database file.
    const { compactDecrypt } = await import('jose')
    const sealing = purposeKey(env.k.dataDir, 'vault-keys')
    const { plaintext } = await compactDecrypt(row.private_enc, sealing.key)
    const d = JSON.parse(Buffer.from(plaintext).toString()).d as string
    assert.ok(d.length > 300)
    for (const file of ['keyless.db', 'keyless.db-wal']) {
      let bytes: Buffer
      try {
        bytes = readFileSync(join(env.k.dataDir, file))
      } catch {
        continue
      }
      assert.equal(bytes.includes(d.slice(0, 64)), false, file)
      assert.equal(bytes.includes(Buffer.from(d, 'base64url').subarray(0, 32)), false, file)
    }
    assert.equal(env.k.output().includes(d.slice(0, 32)), false, 'not in the log')
  })
})
