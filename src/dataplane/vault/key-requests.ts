// Checks on what key requests carry: create, import and update bodies, the cryptographic
// operations' `alg`/`value`, and rotation policies. Each failure is a 400 `BadParameter` naming
// the field, as Key Vault answers.
import type { JsonWebKey } from 'node:crypto'
import {
  DEFAULT_CURVE,
  DEFAULT_RSA_KEY_SIZE,
  durationMs,
  EC_CURVES,
  ENCRYPTION_ALGORITHMS,
  isIsoDuration,
  KEY_OPERATIONS,
  REFUSED_ENCRYPTION_ALGORITHMS,
  RSA_KEY_SIZES,
  SIGNATURE_ALGORITHMS,
  supportedOperations,
  type Curve,
  type EncryptionAlgorithm,
  type KeyOperation,
  type KeyRotationPolicy,
  type KeyType,
  type LifetimeAction,
  type SignatureAlgorithm,
} from '../../domain/vault-keys.js'
import { VaultErrors } from './errors.js'
import { attributesOf, isObject, tagsOf, type AttributeInput } from './requests.js'

const bad = (message: string) => VaultErrors.badParameter(message)

export interface KeyAttributesInput extends AttributeInput {
  tags?: Record<string, string> | null
  keyOps?: KeyOperation[]
}

export interface KeyCreateInput extends KeyAttributesInput {
  kty: KeyType
  size: number
  curve: Curve
  publicExponent: number
}

function ktyOf(value: unknown): KeyType {
  if (value === 'RSA' || value === 'EC') return value
  if (value === 'RSA-HSM' || value === 'EC-HSM' || value === 'oct' || value === 'oct-HSM') {
    throw bad(`The key type ${value} is not supported by this vault; use RSA or EC.`)
  }
  throw bad('Property kty is required: RSA or EC.')
}

function keyOpsOf(value: unknown, kty: KeyType): KeyOperation[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw bad('key_ops must be an array of key operations.')
  const allowed = supportedOperations(kty)
  for (const op of value) {
    if (!KEY_OPERATIONS.includes(op as KeyOperation) || !allowed.includes(op as KeyOperation)) {
      throw bad(`Invalid key operation for a ${kty} key: ${String(op).slice(0, 40)}.`)
    }
  }
  return [...new Set(value as KeyOperation[])]
}

function attributesAndTags(body: Record<string, unknown>, kty: KeyType): KeyAttributesInput {
  const out: KeyAttributesInput = { ...attributesOf(body.attributes) }
  const tags = tagsOf(body.tags)
  if (tags !== undefined) out.tags = tags
  const ops = keyOpsOf(body.key_ops, kty)
  if (ops !== undefined) out.keyOps = ops
  return out
}

const objectBody = (body: unknown) => {
  if (!isObject(body)) throw bad('The request body must be a JSON object.')
  return body
}

export function parseCreateBody(raw: unknown): KeyCreateInput {
  const body = objectBody(raw)
  const kty = ktyOf(body.kty)
  const size = body.key_size ?? DEFAULT_RSA_KEY_SIZE
  if (kty === 'RSA' && !RSA_KEY_SIZES.includes(size as 2048)) {
    throw bad('key_size must be 2048, 3072 or 4096 for an RSA key.')
  }
  const curve = body.crv ?? DEFAULT_CURVE
  if (kty === 'EC' && !EC_CURVES.includes(curve as Curve)) {
    throw bad('crv must be P-256, P-384 or P-521 for an EC key.')
  }
  const publicExponent = body.public_exponent ?? 65537
  if (publicExponent !== 65537 && publicExponent !== 3) {
    throw bad('public_exponent must be 65537 or 3.')
  }
  return {
    ...attributesAndTags(body, kty),
    kty,
    size: size as number,
    curve: curve as Curve,
    publicExponent: publicExponent as number,
  }
}

const RSA_PRIVATE = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const
const EC_PRIVATE = ['x', 'y', 'd'] as const
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/

export function parseImportBody(raw: unknown): KeyAttributesInput & { jwk: JsonWebKey } {
  const body = objectBody(raw)
  if (!isObject(body.key)) throw bad('Property key (a JSON web key) is required.')
  const key = body.key
  const kty = ktyOf(key.kty)
  const members = kty === 'RSA' ? RSA_PRIVATE : EC_PRIVATE
  for (const m of members) {
    if (typeof key[m] !== 'string' || !B64URL.test(key[m] as string)) {
      throw bad(`The key to import must carry its private part: ${m} is missing or not base64url.`)
    }
  }
  if (kty === 'EC' && !EC_CURVES.includes(key.crv as Curve)) {
    throw bad('crv must be P-256, P-384 or P-521 for an EC key.')
  }
  const jwk: JsonWebKey = { kty }
  for (const m of members) jwk[m] = (key[m] as string).replace(/=+$/, '')
  if (kty === 'EC') jwk.crv = key.crv as string
  const parsed = attributesAndTags(body, kty)
  const ops = parsed.keyOps ?? keyOpsOf(key.key_ops, kty)
  return { ...parsed, ...(ops === undefined ? {} : { keyOps: ops }), jwk }
}

export function parseKeyUpdateBody(raw: unknown, kty: KeyType): KeyAttributesInput {
  if (raw === undefined || raw === null) return {}
  return attributesAndTags(objectBody(raw), kty)
}

function bytesOf(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || (value !== '' && !B64URL.test(value))) {
    throw bad(`Property ${field} must be base64url-encoded bytes.`)
  }
  return Buffer.from(value, 'base64url')
}

export function parseSignBody(raw: unknown): {
  alg: SignatureAlgorithm
  name: string
  digest: Buffer
} {
  const body = objectBody(raw)
  const alg = typeof body.alg === 'string' ? SIGNATURE_ALGORITHMS[body.alg] : undefined
  if (alg === undefined) throw bad(`Invalid algorithm: ${String(body.alg).slice(0, 20)}.`)
  return { alg, name: body.alg as string, digest: bytesOf(body.value, 'value') }
}

export function parseVerifyBody(raw: unknown) {
  const body = objectBody(raw)
  const signed = parseSignBody({ alg: body.alg, value: body.digest })
  return { ...signed, signature: bytesOf(body.value, 'value') }
}

export function parseCipherBody(raw: unknown): {
  alg: EncryptionAlgorithm
  name: string
  value: Buffer
} {
  const body = objectBody(raw)
  const name = typeof body.alg === 'string' ? body.alg : ''
  if (REFUSED_ENCRYPTION_ALGORITHMS.has(name)) {
    throw bad(
      `The algorithm ${name} is not supported by Keyless: PKCS#1 v1.5 decryption is open to padding-oracle attacks. Use RSA-OAEP-256.`,
    )
  }
  const alg = ENCRYPTION_ALGORITHMS[name]
  if (alg === undefined) throw bad(`Invalid algorithm: ${name.slice(0, 20)}.`)
  return { alg, name, value: bytesOf(body.value, 'value') }
}

const DAY_MS = 86_400_000

function durationField(value: unknown, field: string, minDays: number): string | undefined {
  if (value === undefined || value === null) return undefined
  if (!isIsoDuration(value)) throw bad(`${field} must be an ISO 8601 duration such as P90D.`)
  if (durationMs(value) < minDays * DAY_MS) throw bad(`${field} must be at least P${minDays}D.`)
  return value
}

function lifetimeActionOf(raw: unknown): LifetimeAction {
  if (!isObject(raw) || !isObject(raw.trigger) || !isObject(raw.action)) {
    throw bad('Each lifetime action needs a trigger and an action.')
  }
  const type = String(raw.action.type ?? '').toLowerCase()
  if (type !== 'rotate' && type !== 'notify') throw bad('action.type must be Rotate or Notify.')
  const after = durationField(raw.trigger.timeAfterCreate, 'trigger.timeAfterCreate', 7)
  const before = durationField(raw.trigger.timeBeforeExpiry, 'trigger.timeBeforeExpiry', 7)
  if ((after === undefined) === (before === undefined)) {
    throw bad('A trigger has exactly one of timeAfterCreate and timeBeforeExpiry.')
  }
  return {
    trigger: after === undefined ? { timeBeforeExpiry: before! } : { timeAfterCreate: after },
    action: { type: type === 'rotate' ? 'Rotate' : 'Notify' },
  }
}

export function parseRotationPolicyBody(raw: unknown): KeyRotationPolicy {
  const body = objectBody(raw)
  const actions = body.lifetimeActions ?? []
  if (!Array.isArray(actions)) throw bad('lifetimeActions must be an array.')
  const lifetimeActions = actions.map(lifetimeActionOf)
  for (const type of ['Rotate', 'Notify']) {
    if (lifetimeActions.filter((a) => a.action.type === type).length > 1) {
      throw bad(`A policy has at most one ${type} action.`)
    }
  }
  const attributes = body.attributes
  if (attributes !== undefined && attributes !== null && !isObject(attributes)) {
    throw bad('attributes must be an object.')
  }
  const expiryTime = durationField(attributes?.expiryTime, 'attributes.expiryTime', 28)
  return { lifetimeActions, ...(expiryTime === undefined ? {} : { expiryTime }) }
}
