// A user's program, run once by `keyless run --as <Crypto Officer>`: it knows nothing of Keyless
// and uses DefaultAzureCredential, KeyClient and CryptographyClient to do every key operation and
// algorithm in one node process. argv[2] is JSON {vaultUrl, message, imports: {rsa, ec} (private
// JWKs made by the test), sealed: {alg: ciphertext} (made by the test with the imported RSA
// public key)}; bytes are base64url. It prints one JSON report, {entry: {ok, value} | {ok: false,
// status, code, inner, message}}, which the test checks entry by entry.
//
// The SDK does some operations itself when it can read the key (RSA-OAEP and RSA1_5 encrypt and
// wrapKey with the public JWK; it refuses expired keys and missing key_ops before any request).
// Entries that must reach the vault's own encrypt endpoint, or its own refusals, go through
// `rest` with a token from the same credential, as a program would with a plain HTTP client.
import { createHash, createPublicKey, publicEncrypt, constants } from 'node:crypto'
import { DefaultAzureCredential } from '@azure/identity'
import {
  CryptographyClient,
  KeyClient,
  type JsonWebKey as SdkJwk,
  type KeyVaultKey,
} from '@azure/keyvault-keys'

interface Input {
  vaultUrl: string
  message: string
  imports: { rsa: Record<string, string>; ec: Record<string, string> }
  sealed: Record<string, string>
}
const input = JSON.parse(process.argv[2]!) as Input
const vaultUrl = input.vaultUrl.replace(/\/$/, '')
const credential = new DefaultAzureCredential()
// The vault is served at an IP address, which cannot be a subdomain of the challenge resource.
const options = { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } }
const keys = new KeyClient(vaultUrl, credential, options)
const cryptoFor = (id: string) => new CryptographyClient(id, credential, options)
const bytes = (s: string) => Buffer.from(s, 'base64url')
const b64 = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('base64url')
const message = bytes(input.message)

/** The public members of a key as node's JWK. */
const publicJwk = (k: KeyVaultKey) =>
  k.keyType === 'RSA'
    ? { kty: 'RSA', n: b64(k.key?.n), e: b64(k.key?.e) }
    : { kty: 'EC', crv: k.key?.crv, x: b64(k.key?.x), y: b64(k.key?.y) }
const described = (k: KeyVaultKey) => ({
  id: k.id,
  version: k.properties.version,
  jwk: publicJwk(k),
  hasD: k.key?.d !== undefined,
  keyOps: k.keyOperations,
  enabled: k.properties.enabled,
  nbf: k.properties.notBefore?.toISOString(),
  exp: k.properties.expiresOn?.toISOString(),
  tags: k.properties.tags,
})

async function rest(method: string, url: string, body?: unknown) {
  const token = await credential.getToken('https://vault.azure.net/.default')
  const res = await fetch(`${url}?api-version=7.5`, {
    method,
    headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = (await res.json()) as any
  if (res.ok) return json
  throw Object.assign(new Error(json?.error?.message), {
    statusCode: res.status,
    details: json,
    code: json?.error?.code,
  })
}

const report: Record<string, object> = {}
async function entry(name: string, run: () => Promise<unknown>): Promise<any> {
  try {
    const value = await run()
    report[name] = { ok: true, value }
    return value
  } catch (e: any) {
    report[name] = {
      ok: false,
      status: e.statusCode,
      code: e.code,
      inner: e.details?.error?.innererror?.code,
      message: String(e.message).slice(0, 300),
    }
    return undefined
  }
}
const all = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

// Whose token DefaultAzureCredential found: the identity `keyless run --as` named.
await entry('token', async () => {
  const token = await credential.getToken('https://vault.azure.net/.default')
  const claims = JSON.parse(bytes(token.token.split('.')[1]!).toString())
  return { oid: claims.oid, aud: claims.aud }
})

const hour = 3_600_000
const created: Record<string, KeyVaultKey> = {}
const create = async (name: string, make: () => Promise<KeyVaultKey>) => {
  const k = await entry(`create ${name}`, async () => {
    const key = await make()
    created[name] = key
    return described(key)
  })
  return k
}

// Keys of every type and size, with key_ops, exp/nbf/enabled and tags.
await create('rsa-2048', () => keys.createRsaKey('rsa-2048', { keySize: 2048 }))
await create('rsa-3072', () =>
  keys.createRsaKey('rsa-3072', {
    keySize: 3072,
    keyOps: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify'],
    notBefore: new Date(Date.now() - hour),
    expiresOn: new Date(Date.now() + 24 * hour),
    enabled: true,
    tags: { size: '3072' },
  }),
)
await create('rsa-4096', () =>
  keys.createRsaKey('rsa-4096', { keySize: 4096, keyOps: ['sign', 'verify'] }),
)
for (const curve of ['P-256', 'P-384', 'P-521'] as const)
  await create(`ec-${curve}`, () => keys.createEcKey(`ec-${curve}`, { curve }))
await create('disabled', () => keys.createEcKey('disabled', { enabled: false }))
await create('not-yet', () =>
  keys.createEcKey('not-yet', { notBefore: new Date(Date.now() + 24 * hour) }),
)
await create('expired', () =>
  keys.createEcKey('expired', { expiresOn: new Date(Date.now() - hour) }),
)

// Import: the test's own key pairs, whose public halves it keeps.
const importJwk = (j: Record<string, string>): SdkJwk =>
  Object.fromEntries(
    Object.entries(j).map(([k, v]) => [k, k === 'kty' || k === 'crv' ? v : bytes(v)]),
  ) as SdkJwk
await create('imported-rsa', () => keys.importKey('imported-rsa', importJwk(input.imports.rsa)))
await create('imported-ec', () => keys.importKey('imported-ec', importJwk(input.imports.ec)))

// Sign in the vault, verify in the vault (and a wrong digest fails); the test verifies each
// signature with node's crypto and the public JWK reported at creation.
const SIGNERS: Record<string, [key: string, hash: string]> = {
  RS256: ['rsa-2048', 'sha256'],
  RS384: ['rsa-3072', 'sha384'],
  RS512: ['rsa-4096', 'sha512'],
  PS256: ['rsa-2048', 'sha256'],
  PS384: ['rsa-3072', 'sha384'],
  PS512: ['rsa-4096', 'sha512'],
  ES256: ['ec-P-256', 'sha256'],
  ES384: ['ec-P-384', 'sha384'],
  ES512: ['ec-P-521', 'sha512'],
}
const sign = async (label: string, key: string, alg: string, hash: string) =>
  entry(label, async () => {
    const c = cryptoFor(created[key]!.id!)
    const digest = createHash(hash).update(message).digest()
    const signed = await c.sign(alg as any, digest)
    const verified = (await c.verify(alg as any, digest, signed.result)).result
    const wrong = createHash(hash).update('another message').digest()
    const rejected = !(await c.verify(alg as any, wrong, signed.result)).result
    return { key, kid: signed.keyID, signature: b64(signed.result), verified, rejected }
  })
for (const [alg, [key, hash]] of Object.entries(SIGNERS)) await sign(`sign ${alg}`, key, alg, hash)
await sign('sign imported-rsa PS512', 'imported-rsa', 'PS512', 'sha512')
await sign('sign imported-ec ES384', 'imported-ec', 'ES384', 'sha384')

// Encryption: the vault's encrypt → the vault's decrypt; the public JWK here (node's crypto) →
// the vault's decrypt; the test's own ciphertexts → the vault's decrypt; wrap → unwrap.
const secret = Buffer.from('a 32-byte data-encryption key!!!')
const OAEP_HASH = { 'RSA-OAEP': 'sha1', 'RSA-OAEP-256': 'sha256' } as const
for (const alg of ['RSA-OAEP', 'RSA-OAEP-256'] as const) {
  const id = created['rsa-3072']!.id!
  const c = cryptoFor(id)
  await entry(`encrypt/decrypt ${alg}`, async () => {
    const sealed = await c.encrypt({ algorithm: alg, plaintext: secret })
    return b64((await c.decrypt({ algorithm: alg, ciphertext: sealed.result })).result)
  })
  await entry(`vault encrypt/decrypt ${alg}`, async () => {
    const sealed = await rest('POST', `${id}/encrypt`, { alg, value: b64(secret) })
    return b64((await c.decrypt({ algorithm: alg, ciphertext: bytes(sealed.value) })).result)
  })
  await entry(`local encrypt/vault decrypt ${alg}`, async () => {
    const pub = createPublicKey({ key: publicJwk(created['rsa-3072']!) as any, format: 'jwk' })
    const local = publicEncrypt(
      { key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[alg] },
      secret,
    )
    return b64((await c.decrypt({ algorithm: alg, ciphertext: local })).result)
  })
  await entry(`test-sealed/vault decrypt ${alg}`, async () => {
    const ic = cryptoFor(created['imported-rsa']!.id!)
    return b64((await ic.decrypt({ algorithm: alg, ciphertext: bytes(input.sealed[alg]!) })).result)
  })
  await entry(`wrap/unwrap ${alg}`, async () => {
    const wrapped = await c.wrapKey(alg, secret)
    return b64((await c.unwrapKey(alg, wrapped.result)).result)
  })
  await entry(`vault wrap/unwrap ${alg}`, async () => {
    const wrapped = await rest('POST', `${id}/wrapkey`, { alg, value: b64(secret) })
    return b64((await c.unwrapKey(alg, bytes(wrapped.value))).result)
  })
}

// RSA1_5: the SDK encrypts and wraps locally with the public key; the vault refuses every
// operation with it (node disables PKCS#1 v1.5 private decryption, CVE-2023-46809).
{
  const id = created['rsa-2048']!.id!
  const c = cryptoFor(id)
  const local = await entry('RSA1_5 sdk local encrypt', async () =>
    b64((await c.encrypt({ algorithm: 'RSA1_5', plaintext: secret })).result),
  )
  await entry('RSA1_5 decrypt', async () =>
    c.decrypt({ algorithm: 'RSA1_5', ciphertext: bytes(local ?? 'AAAA') }),
  )
  await entry('RSA1_5 unwrapKey', async () => c.unwrapKey('RSA1_5', bytes(local ?? 'AAAA')))
  await entry('RSA1_5 vault encrypt', () =>
    rest('POST', `${id}/encrypt`, { alg: 'RSA1_5', value: b64(secret) }),
  )
  await entry('RSA1_5 vault wrapKey', () =>
    rest('POST', `${id}/wrapkey`, { alg: 'RSA1_5', value: b64(secret) }),
  )
}

// The vault's refusals for key_ops and attributes.
const digest256 = b64(createHash('sha256').update(message).digest())
await entry('key_ops: encrypt with a sign-only key', () =>
  rest('POST', `${created['rsa-4096']!.id}/encrypt`, { alg: 'RSA-OAEP-256', value: b64(secret) }),
)
for (const name of ['disabled', 'not-yet', 'expired'])
  await entry(`sign with ${name} key`, () =>
    rest('POST', `${created[name]?.id}/sign`, { alg: 'ES256', value: digest256 }),
  )

// get, list, versions, update.
await entry('get', async () => described(await keys.getKey('rsa-3072')))
await entry('get version', async () =>
  described(await keys.getKey('rsa-2048', { version: created['rsa-2048']!.properties.version })),
)
const second = await entry('create second version', async () =>
  described(await keys.createRsaKey('rsa-2048', { keySize: 2048 })),
)
await entry('list', async () => (await all(keys.listPropertiesOfKeys())).map((p) => p.name).sort())
await entry('list versions', async () =>
  (await all(keys.listPropertiesOfKeyVersions('rsa-2048'))).map((p) => p.version).sort(),
)
await entry('update', async () =>
  described(
    await keys.updateKeyProperties('rsa-2048', second?.version, {
      keyOps: ['verify'],
      tags: { stage: 'two' },
      expiresOn: new Date(Date.now() + 48 * hour),
    }),
  ),
)
await entry('sign after update to verify-only', () =>
  rest('POST', `${second?.id}/sign`, { alg: 'RS256', value: digest256 }),
)
await entry('enable the disabled key', async () =>
  described(await keys.updateKeyProperties('disabled', { enabled: true })),
)
await entry(
  'sign with the re-enabled key',
  async () =>
    b64((await cryptoFor(created['disabled']!.id!).sign('ES256', bytes(digest256))).result).length,
)

// Soft delete, recover, purge.
await entry('delete', async () => {
  const d = await (await keys.beginDeleteKey('ec-P-256')).pollUntilDone()
  return { recoveryId: d.properties.recoveryId, deletedOn: d.properties.deletedOn?.toISOString() }
})
await entry('get deleted key (active)', () => keys.getKey('ec-P-256'))
await entry('get deleted', async () => (await keys.getDeletedKey('ec-P-256')).name)
await entry('list deleted', async () => (await all(keys.listDeletedKeys())).map((d) => d.name))
await entry('recover', async () => {
  await (await keys.beginRecoverDeletedKey('ec-P-256')).pollUntilDone()
  return (await keys.getKey('ec-P-256')).id
})
await entry('purge', async () => {
  await (await keys.beginDeleteKey('ec-P-256')).pollUntilDone()
  await keys.purgeDeletedKey('ec-P-256')
  return (await all(keys.listDeletedKeys())).map((d) => d.name)
})
await entry('get purged', () => keys.getDeletedKey('ec-P-256'))

// Backup, restore.
const backup = await entry('backup', async () => b64(await keys.backupKey('ec-P-384')))
await entry('restore', async () => {
  await (await keys.beginDeleteKey('ec-P-384')).pollUntilDone()
  await keys.purgeDeletedKey('ec-P-384')
  const restored = await keys.restoreKeyBackup(bytes(backup!))
  const digest = createHash('sha384').update(message).digest()
  const signed = await cryptoFor(restored.id!).sign('ES384', digest)
  return { id: restored.id, signature: b64(signed.result) }
})
await entry('restore again', () => keys.restoreKeyBackup(bytes(backup!)))

// Rotation policy and rotate.
await entry('get rotation policy', async () => {
  const p = await keys.getKeyRotationPolicy('ec-P-521')
  return { actions: p.lifetimeActions?.map((a) => a.action), expiresIn: p.expiresIn }
})
await entry('update rotation policy', async () => {
  const p = await keys.updateKeyRotationPolicy('ec-P-521', {
    lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }],
    expiresIn: 'P1Y',
  })
  return {
    actions: p.lifetimeActions?.map((a) => [a.action, a.timeAfterCreate]),
    expiresIn: p.expiresIn,
  }
})
await entry('rotate', async () => {
  const r = await keys.rotateKey('ec-P-521')
  const latest = await keys.getKey('ec-P-521')
  const versions = await all(keys.listPropertiesOfKeyVersions('ec-P-521'))
  return {
    ...described(r),
    latest: latest.id,
    versions: versions.length,
    previous: created['ec-P-521']!.id,
  }
})

console.log(JSON.stringify(report))
