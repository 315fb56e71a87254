// The key operations over the store, on the shared versioned-object lifecycle. A key version's
// private JWK is sealed before its transaction starts and opened only inside the operations
// that use it (sign, decrypt, unwrapKey, backup); no response and no log line carries it.
import { randomBytes, type JsonWebKey } from 'node:crypto'
import {
  defaultKeyOperations,
  durationMs,
  RSA_KEY_SIZES,
  type Curve,
  type KeyOperation,
  type KeyRotationPolicy,
  type KeyType,
} from '../../domain/vault-keys.js'
import type { VaultKeyRow } from '../../store/schema.js'
import type { PageRequest, VaultKeyChanges } from '../../store/store.js'
import {
  deletedKeyBundle,
  deletedKeyItem,
  keyBundle,
  keyItem,
  rotationPolicyBody,
} from './key-bundle.js'
import { generateKey, importPrivateJwk, modulusBits } from './key-crypto.js'
import { parseKeyUpdateBody, type KeyAttributesInput, type KeyCreateInput } from './key-requests.js'
import { openPrivateKey, sealPrivateKey } from './crypto.js'
import { VaultErrors } from './errors.js'
import type { SecretContext } from './secrets.js'
import * as life from './versioned.js'
import type { VaultTarget } from './vaults.js'

export type KeyContext = SecretContext

export const KEYS: life.ObjectKind<VaultKeyRow, VaultKeyChanges> = {
  repo: (r) => r.vaultKeys,
  notFound: VaultErrors.keyNotFound,
  deletedNotFound: VaultErrors.deletedKeyNotFound,
  deletedButRecoverable: VaultErrors.keyDeletedButRecoverable,
  alreadyExists: VaultErrors.keyAlreadyExists,
  clear: async (tx, v, name) => {
    await tx.vaultKeyPolicies.delete(v.key, name)
  },
}

export const placeOf = (v: VaultTarget, row: Pick<VaultKeyRow, 'name_key' | 'version'>) => ({
  vaultKey: v.key,
  nameKey: row.name_key,
  version: row.version,
})

function changesOf(input: KeyAttributesInput): VaultKeyChanges {
  return {
    ...(input.keyOps === undefined ? {} : { key_ops: JSON.stringify(input.keyOps) }),
    ...(input.tags === undefined
      ? {}
      : { tags: input.tags === null ? null : JSON.stringify(input.tags) }),
    ...(input.enabled === undefined ? {} : { enabled: input.enabled ? 1 : 0 }),
    ...(input.nbf === undefined ? {} : { nbf: input.nbf }),
    ...(input.exp === undefined ? {} : { exp: input.exp }),
  }
}

/** Writes a new version of a name (create, import, rotate) in one transaction. */
async function addVersion(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  kty: KeyType,
  pair: { publicJwk: JsonWebKey; privateJwk: JsonWebKey },
  input: KeyAttributesInput,
) {
  const now = c.clock.now()
  const version = randomBytes(16).toString('hex')
  const nameKey = name.toLowerCase()
  const private_enc = await sealPrivateKey(
    pair.privateJwk,
    c.materialKey,
    placeOf(v, { name_key: nameKey, version }),
  )
  const row = await c.store.transaction(async (tx) => {
    const { latest, createdAt } = await life.nextVersionTime(tx, KEYS, v, name, now)
    const row: VaultKeyRow = {
      vault_key: v.key,
      name_key: nameKey,
      name: latest?.name ?? name,
      version,
      kty,
      key_ops: JSON.stringify(defaultKeyOperations(kty)),
      public_jwk: JSON.stringify(pair.publicJwk),
      private_enc,
      tags: null,
      enabled: 1,
      nbf: null,
      exp: null,
      ...changesOf(input),
      created_at: createdAt,
      updated_at: createdAt,
      deleted_at: null,
      scheduled_purge_at: null,
    }
    await tx.vaultKeys.create(row)
    return row
  })
  return keyBundle(v, row)
}

export async function createKey(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  input: KeyCreateInput,
) {
  const pair = await generateKey(input.kty, input)
  return addVersion(c, v, name, input.kty, pair, input)
}

export async function importKey(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  input: KeyAttributesInput & { jwk: JsonWebKey },
) {
  let pair: ReturnType<typeof importPrivateJwk>
  try {
    pair = importPrivateJwk(input.jwk)
  } catch {
    throw VaultErrors.badParameter('The key to import is not a valid private key.')
  }
  const kty = input.jwk.kty as KeyType
  if (kty === 'RSA' && !RSA_KEY_SIZES.includes(modulusBits(pair.publicJwk) as 2048)) {
    throw VaultErrors.badParameter('An imported RSA key must be 2048, 3072 or 4096 bits.')
  }
  return addVersion(c, v, name, kty, pair, input)
}

export async function getKey(c: KeyContext, v: VaultTarget, name: string, version?: string) {
  const row = await life.fetchLive(c, KEYS, v, name, version)
  if (row.enabled !== 1) throw VaultErrors.keyDisabled('get')
  return keyBundle(v, row)
}

export async function updateKey(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  version: string | undefined,
  body: unknown,
) {
  const now = c.clock.now()
  const row = await life.updateVersion(c, KEYS, v, name, version, (row) => ({
    ...changesOf(parseKeyUpdateBody(body, row.kty as KeyType)),
    updated_at: now,
  }))
  return keyBundle(v, row)
}

export async function listKeys(c: KeyContext, v: VaultTarget, page: PageRequest) {
  const p = await life.listLive(c, KEYS, v, page)
  return { items: p.items.map((r) => keyItem(v, r, false)), next: p.next }
}

export async function listKeyVersions(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  page: PageRequest,
) {
  const p = await life.listVersionsOf(c, KEYS, v, name, page)
  return { items: p.items.map((r) => keyItem(v, r, true)), next: p.next }
}

export const deleteKey = async (c: KeyContext, v: VaultTarget, name: string) =>
  deletedKeyBundle(v, await life.softDelete(c, KEYS, v, name))
export const getDeletedKey = async (c: KeyContext, v: VaultTarget, name: string) =>
  deletedKeyBundle(v, await life.fetchDeleted(c, KEYS, v, name))
export const recoverDeletedKey = async (c: KeyContext, v: VaultTarget, name: string) =>
  keyBundle(v, await life.recover(c, KEYS, v, name))
export const purgeDeletedKey = (c: KeyContext, v: VaultTarget, name: string) =>
  life.purge(c, KEYS, v, name, VaultErrors.purgeProtected)

export async function listDeletedKeys(c: KeyContext, v: VaultTarget, page: PageRequest) {
  const p = await life.listDeleted(c, KEYS, v, page)
  return { items: p.items.map((r) => deletedKeyItem(v, r)), next: p.next }
}

export async function fetchPolicy(c: KeyContext, v: VaultTarget, name: string) {
  const row = await c.store.vaultKeyPolicies.fetch(v.key, name)
  if (row === undefined) return undefined
  return {
    policy: JSON.parse(row.policy) as KeyRotationPolicy,
    created: row.created_at,
    updated: row.updated_at,
  }
}

/** A new version with the latest's type, size or curve, operations and tags; its expiry is the
 * policy's `expiryTime` from now when the policy has one. */
export async function rotateKey(c: KeyContext, v: VaultTarget, name: string) {
  const latest = await life.fetchLive(c, KEYS, v, name)
  const kty = latest.kty as KeyType
  const publicJwk = JSON.parse(latest.public_jwk) as JsonWebKey
  const pair = await generateKey(kty, {
    size: kty === 'RSA' ? modulusBits(publicJwk) : 0,
    curve: (publicJwk.crv ?? 'P-256') as Curve,
    publicExponent: Number.parseInt(
      Buffer.from(publicJwk.e ?? 'AQAB', 'base64url').toString('hex'),
      16,
    ),
  })
  const expiry = (await fetchPolicy(c, v, name))?.policy.expiryTime
  return addVersion(c, v, latest.name, kty, pair, {
    keyOps: JSON.parse(latest.key_ops) as KeyOperation[],
    tags: latest.tags === null ? null : (JSON.parse(latest.tags) as Record<string, string>),
    ...(expiry === undefined ? {} : { exp: c.clock.now() + durationMs(expiry) }),
  })
}

export async function getRotationPolicy(c: KeyContext, v: VaultTarget, name: string) {
  const latest = await life.fetchLive(c, KEYS, v, name)
  return rotationPolicyBody(v, latest.name, await fetchPolicy(c, v, name))
}

export async function setRotationPolicy(
  c: KeyContext,
  v: VaultTarget,
  name: string,
  policy: KeyRotationPolicy,
) {
  const now = c.clock.now()
  const saved = await c.store.transaction(async (tx) => {
    const latest = await tx.vaultKeys.fetchLatest(v.key, name)
    if (!life.isLive(latest)) throw VaultErrors.keyNotFound(name)
    const existing = await tx.vaultKeyPolicies.fetch(v.key, name)
    const created = existing?.created_at ?? now
    await tx.vaultKeyPolicies.save({
      vault_key: v.key,
      name_key: latest.name_key,
      policy: JSON.stringify(policy),
      created_at: created,
      updated_at: now,
    })
    return { name: latest.name, created }
  })
  return rotationPolicyBody(v, saved.name, { policy, created: saved.created, updated: now })
}

/** The private JWK of a row, opened from its sealed column. */
export const openKey = (c: KeyContext, v: VaultTarget, row: VaultKeyRow) =>
  openPrivateKey(row.private_enc, c.materialKey, placeOf(v, row))
