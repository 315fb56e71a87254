// One master key per installation (data-dir master.key), never used directly: each purpose
// gets its own key, derived with HKDF-SHA256 (RFC 5869) under a context label, so a ciphertext
// or a key of one purpose is worthless for another and a flaw in one use does not spread.
// Every ciphertext names the derived key it was made with (`kid`); one without a name is from
// before derivation and opens only under the raw master key (see openSealed in sealed-jwe.ts).
import { hkdfSync } from 'node:crypto'

export const KEY_PURPOSES = [
  'signing-keys',
  'vault-secrets',
  'vault-keys',
  'blob-content',
  // What replicas share in the database (server/cluster-state.ts), and the key check they
  // compare before touching it (master-key-check.ts).
  'cluster-state',
  'key-check',
] as const
export type KeyPurpose = (typeof KEY_PURPOSES)[number]

/** Fixed salt (RFC 5869 §3.1: optional, but a label keeps the derivation Keyless's own). */
const SALT = Buffer.from('keyless key hierarchy', 'utf8')

export interface PurposeKey {
  readonly purpose: KeyPurpose
  /** The label the derivation used; ciphertexts carry it as their `kid`. */
  readonly kid: string
  readonly key: Uint8Array
  /** The raw master key, only to open data sealed before keys were derived. */
  readonly legacyKey: Uint8Array
}

export interface KeyHierarchy {
  forPurpose(purpose: KeyPurpose): PurposeKey
}

export const purposeLabel = (purpose: KeyPurpose) => `keyless/${purpose}/v1`

export function deriveKeyHierarchy(masterKey: Uint8Array): KeyHierarchy {
  if (masterKey.length !== 32) throw new TypeError('the master key must be 256 bits')
  const master = Uint8Array.from(masterKey)
  const keys = new Map<KeyPurpose, PurposeKey>()
  for (const purpose of KEY_PURPOSES) {
    const kid = purposeLabel(purpose)
    const key = new Uint8Array(hkdfSync('sha256', master, SALT, kid, 32))
    keys.set(purpose, Object.freeze({ purpose, kid, key, legacyKey: master }))
  }
  return Object.freeze({
    forPurpose(purpose: KeyPurpose): PurposeKey {
      const k = keys.get(purpose)
      if (k === undefined) throw new TypeError(`unknown key purpose ${String(purpose)}`)
      return k
    },
  })
}
