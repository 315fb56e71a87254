// The RBAC matrix of key operations, one row per built-in role: each operation's data action at
// the key's scope (the vault's for lists), allowed exactly where Azure's role definition grants
// it, refused with 403 `Forbidden` / `ForbiddenByRbac` naming the action otherwise. Raw HTTPS, so
// no SDK fallback (local encryption, local verify) hides a refusal.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import {
  ROLES,
  startVaultEnv,
  vaultRequest,
  withApi,
  type Vault,
  type VaultEnv,
} from './vault.config.js'

const K = 'Microsoft.KeyVault/vaults/keys'
const P = 'Microsoft.KeyVault/vaults/keyrotationpolicies'
const b64 = (b: Buffer) => b.toString('base64url')

const ROLE_IDS = {
  'Key Vault Crypto Officer': ROLES.cryptoOfficer,
  'Key Vault Crypto User': ROLES.cryptoUser,
  'Key Vault Crypto Service Encryption User': ROLES.cryptoServiceEncryptionUser,
  'Key Vault Reader': ROLES.kvReader,
  'Key Vault Secrets User': ROLES.user,
  'Key Vault Secrets Officer': ROLES.officer,
} as const
type RoleName = keyof typeof ROLE_IDS

const ALL = [
  'create',
  'import',
  'get',
  'list',
  'update',
  'delete',
  'backup',
  'rotate',
  'readPolicy',
  'writePolicy',
  'sign',
  'verify',
  'encrypt',
  'decrypt',
  'wrap',
  'unwrap',
] as const
type Op = (typeof ALL)[number]

/** What each role may do, from Azure's role definitions. */
const ALLOWED: Record<RoleName, readonly Op[]> = {
  'Key Vault Crypto Officer': ALL,
  'Key Vault Crypto User': [
    'get',
    'list',
    'update',
    'backup',
    'sign',
    'verify',
    'encrypt',
    'decrypt',
    'wrap',
    'unwrap',
  ],
  'Key Vault Crypto Service Encryption User': ['get', 'list', 'wrap', 'unwrap'],
  'Key Vault Reader': ['get', 'list', 'readPolicy'],
  'Key Vault Secrets User': [],
  'Key Vault Secrets Officer': [],
}

describe('vault keys RBAC', () => {
  let env: VaultEnv
  let vault: Vault
  let officerToken: string
  let sealed: string
  let signature: string
  let v1 = ''
  const digest = b64(randomBytes(32))

  const call = (token: string, method: string, path: string, body?: unknown) =>
    vaultRequest(withApi(`${vault.url}${path}`), { method, token, ca: env.k.ca, body })

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-keys-rbac')
    const officer = await env.createWorkload('keys-rbac-officer')
    await env.assign(vault.id, ROLE_IDS['Key Vault Crypto Officer'], officer.principalId)
    officerToken = await env.token(officer)
    const made = await call(officerToken, 'POST', 'keys/matrix/create', { kty: 'RSA' })
    assert.equal(made.status, 200)
    // Cryptographic operations name this version: the matrix also rotates the key.
    v1 = `keys/matrix/${String(made.json().key.kid).split('/').pop()}`
    const enc = await call(officerToken, 'POST', `${v1}/encrypt`, {
      alg: 'RSA-OAEP-256',
      value: b64(Buffer.from('x')),
    })
    sealed = enc.json().value
    signature = (
      await call(officerToken, 'POST', `${v1}/sign`, { alg: 'RS256', value: digest })
    ).json().value
  })
  after(async () => env?.dispose())

  const jwk = () => {
    // A fresh EC key to import, made by node.
    return import('node:crypto').then((c) =>
      c.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
    )
  }

  const operations = (
    suffix: string,
  ): Record<
    Op,
    [method: string, path: string, body: () => unknown, action: string, scope: string]
  > => ({
    create: [
      'POST',
      `keys/new-${suffix}/create`,
      () => ({ kty: 'EC' }),
      `${K}/create/action`,
      `keys/new-${suffix}`,
    ],
    import: [
      'PUT',
      `keys/imp-${suffix}`,
      () => undefined,
      `${K}/import/action`,
      `keys/imp-${suffix}`,
    ],
    get: ['GET', 'keys/matrix', () => undefined, `${K}/read`, 'keys/matrix'],
    list: ['GET', 'keys', () => undefined, `${K}/read`, ''],
    update: [
      'PATCH',
      'keys/matrix',
      () => ({ tags: { by: suffix } }),
      `${K}/update/action`,
      'keys/matrix',
    ],
    delete: ['DELETE', `keys/del-${suffix}`, () => undefined, `${K}/delete`, `keys/del-${suffix}`],
    backup: ['POST', 'keys/matrix/backup', () => undefined, `${K}/backup/action`, 'keys/matrix'],
    rotate: ['POST', 'keys/matrix/rotate', () => undefined, `${K}/rotate/action`, 'keys/matrix'],
    readPolicy: ['GET', 'keys/matrix/rotationpolicy', () => undefined, `${P}/read`, 'keys/matrix'],
    writePolicy: [
      'PUT',
      'keys/matrix/rotationpolicy',
      () => ({ lifetimeActions: [] }),
      `${P}/write`,
      'keys/matrix',
    ],
    sign: [
      'POST',
      `${v1}/sign`,
      () => ({ alg: 'RS256', value: digest }),
      `${K}/sign/action`,
      'keys/matrix',
    ],
    verify: [
      'POST',
      `${v1}/verify`,
      () => ({ alg: 'RS256', digest, value: signature }),
      `${K}/verify/action`,
      'keys/matrix',
    ],
    encrypt: [
      'POST',
      `${v1}/encrypt`,
      () => ({ alg: 'RSA-OAEP', value: 'AAAA' }),
      `${K}/encrypt/action`,
      'keys/matrix',
    ],
    decrypt: [
      'POST',
      `${v1}/decrypt`,
      () => ({ alg: 'RSA-OAEP-256', value: sealed }),
      `${K}/decrypt/action`,
      'keys/matrix',
    ],
    wrap: [
      'POST',
      `${v1}/wrapkey`,
      () => ({ alg: 'RSA-OAEP-256', value: 'AAAA' }),
      `${K}/wrap/action`,
      'keys/matrix',
    ],
    unwrap: [
      'POST',
      `${v1}/unwrapkey`,
      () => ({ alg: 'RSA-OAEP-256', value: sealed }),
      `${K}/unwrap/action`,
      'keys/matrix',
    ],
  })

  for (const [role, allowed] of Object.entries(ALLOWED) as [RoleName, readonly Op[]][]) {
    it(`${role}: allowed exactly ${allowed.length ? allowed.join(', ') : 'nothing'} on keys`, async () => {
      const suffix = role
        .toLowerCase()
        .replace(/[^a-z]+/g, '-')
        .replace(/^-|-$/g, '')
      const w = await env.createWorkload(`kr-${suffix}`)
      await env.assign(vault.id, ROLE_IDS[role], w.principalId)
      const token = await env.token(w)
      // Objects the role's own delete needs, made by the officer.
      assert.equal(
        (await call(officerToken, 'POST', `keys/del-${suffix}/create`, { kty: 'EC' })).status,
        200,
      )
      const ops = operations(suffix)
      for (const op of ALL) {
        const [method, path, body, action, scope] = ops[op]
        const payload = op === 'import' ? { key: await jwk() } : body()
        const res = await call(token, method, path, payload)
        if (allowed.includes(op)) {
          assert.ok(
            res.status === 200 || res.status === 204,
            `${role} ${op}: ${res.status} ${res.text}`,
          )
          continue
        }
        assert.equal(res.status, 403, `${role} ${op}: ${res.text}`)
        const error = res.json().error
        assert.equal(error.code, 'Forbidden')
        assert.equal(error.innererror.code, 'ForbiddenByRbac')
        assert.ok(error.message.includes(`Action: '${action}'`), `${op}: ${error.message}`)
        const resource = (scope === '' ? vault.id : `${vault.id}/${scope}`).toLowerCase()
        assert.ok(error.message.includes(`Resource: '${resource}'`), `${op}: ${error.message}`)
      }
    })
  }
})
