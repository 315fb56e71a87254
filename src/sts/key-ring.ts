// The live set of signing keys: the store holds them (encrypted), this holds them decrypted in
// memory, applies the rotation plan of domain/key-rotation and answers "which key signs now"
// and "what is in JWKS now". Every replica runs the same plan; a reload each minute picks up
// keys another replica created, long before they activate (they are pre-published for days).
// A key is created under the store's rotation lock after planning again on what the store holds
// then, so replicas that rotate at the same moment (every replica of a new cluster at its first
// start) create one key between them and all sign with it.
import type { KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import type { PurposeKey } from '../common/key-hierarchy.js'
import type { Clock } from '../domain/clock.js'
import { Internal } from '../domain/errors.js'
import {
  planRotation,
  publishedKeys,
  selectSigningKey,
  type KeyTimes,
  type RotationPolicy,
} from '../domain/key-rotation.js'
import type { SigningKeyRow } from '../store/schema.js'
import type { Store } from '../store/store.js'
import {
  decryptPrivateKey,
  encryptPrivateKey,
  generateSigningKey,
  type SigningAlgorithm,
} from './key-material.js'

export interface LoadedKey extends KeyTimes {
  alg: SigningAlgorithm
  publicJwk: JWK
  privateKey: KeyObject
}

export interface KeyRingOptions {
  store: Pick<Store, 'signingKeys' | 'transaction'>
  /** The signing-keys purpose key (common/key-hierarchy.ts). */
  wrappingKey: PurposeKey
  clock: Clock
  policy: RotationPolicy
  algorithm: SigningAlgorithm
  /** Reports failures of timer-driven rotations (a request-driven one throws to its caller). */
  onError?: (err: unknown) => void
}

const timesOf = (r: SigningKeyRow): KeyTimes => ({
  kid: r.kid,
  createdAt: r.created_at,
  activateAt: r.activate_at,
  retireAt: r.retire_at,
  expireAt: r.expire_at,
})

export function createKeyRing({
  store,
  wrappingKey,
  clock,
  policy,
  algorithm,
  onError,
}: KeyRingOptions) {
  let keys: LoadedKey[] = []
  let timer: NodeJS.Timeout | undefined
  let rotating: Promise<void> | undefined

  async function load(): Promise<void> {
    const known = new Map(keys.map((k) => [k.kid, k]))
    const rows = await store.signingKeys.list()
    keys = await Promise.all(
      rows.map(async (r) => {
        const have = known.get(r.kid)
        if (have) return have
        return {
          kid: r.kid,
          alg: r.alg as SigningAlgorithm,
          createdAt: r.created_at,
          activateAt: r.activate_at,
          retireAt: r.retire_at,
          expireAt: r.expire_at,
          publicJwk: JSON.parse(r.public_jwk) as JWK,
          privateKey: await decryptPrivateKey(r.private_key_enc, wrappingKey),
        }
      }),
    )
  }

  async function rotateOnce(): Promise<void> {
    await load()
    const now = clock.now()
    const plan = planRotation(keys, now, policy)
    let created = false
    if (plan.create) {
      created = await store.transaction(async (tx) => {
        await tx.signingKeys.lockForRotation()
        const held = (await tx.signingKeys.list()).map(timesOf)
        const times = planRotation(held, now, policy).create
        if (!times) return false
        const key = await generateSigningKey(algorithm, now, times.expireAt)
        await tx.signingKeys.create({
          kid: key.kid,
          alg: key.alg,
          public_jwk: JSON.stringify(key.publicJwk),
          private_key_enc: await encryptPrivateKey(key.privateKey, wrappingKey),
          created_at: times.createdAt,
          activate_at: times.activateAt,
          retire_at: times.retireAt,
          expire_at: times.expireAt,
        })
        return true
      })
    }
    if (plan.prune.length) await store.signingKeys.prune(now)
    if (plan.create || created || plan.prune.length) await load()
  }

  /** Applies the rotation plan now; concurrent callers share one run. */
  function rotate(): Promise<void> {
    rotating ??= rotateOnce().finally(() => (rotating = undefined))
    return rotating
  }

  return {
    rotate,

    /** The key that signs now. Rotates first if the schedule has moved past the loaded keys. */
    async signingKey(): Promise<LoadedKey> {
      let key = selectSigningKey(keys, clock.now())
      if (!key) {
        await rotate()
        key = selectSigningKey(keys, clock.now())
      }
      if (!key) throw new Internal('no signing key is active')
      return key
    },

    /** The JWKS document: every key whose tokens may still be presented. */
    jwks(): { keys: JWK[] } {
      return { keys: publishedKeys(keys, clock.now()).map((k) => k.publicJwk) }
    },

    /** The published keys' schedule (when to export the JWKS again: domain/oidc-issuer.ts). */
    publishedTimes(): KeyTimes[] {
      return publishedKeys(keys, clock.now()).map(
        ({ kid, createdAt, activateAt, retireAt, expireAt }) => ({
          kid,
          createdAt,
          activateAt,
          retireAt,
          expireAt,
        }),
      )
    },

    /** Rotates on a timer; the first run happens before this resolves. */
    async start(everyMs = 60_000): Promise<void> {
      await rotate()
      timer = setInterval(() => void rotate().catch((err) => onError?.(err)), everyMs)
      timer.unref()
    },

    stop(): void {
      if (timer) clearInterval(timer)
      timer = undefined
    },
  }
}

export type KeyRing = ReturnType<typeof createKeyRing>
