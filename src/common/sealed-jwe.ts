// Data sealed at rest as a compact JWE (`dir` + A256GCM) under one purpose's derived key. The
// protected header names the key (`kid`), so the format is versioned: a JWE without `kid` was
// sealed under the raw master key by an installation from before key derivation and still
// opens; a JWE naming another purpose's key, or an unknown one, is refused.
import { webcrypto } from 'node:crypto'
import { CompactEncrypt, compactDecrypt, type CompactJWEHeaderParameters } from 'jose'
import type { PurposeKey } from './key-hierarchy.js'

// Each key as a WebCrypto key, imported once: given raw bytes, jose imports them again on every
// value sealed or opened, which dominated a vault read.
const cryptoKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>()

function aesKey(raw: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = cryptoKeys.get(raw)
  if (key === undefined) {
    key = webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
    cryptoKeys.set(raw, key)
  }
  return key
}

const ALGORITHMS = {
  keyManagementAlgorithms: ['dir'],
  contentEncryptionAlgorithms: ['A256GCM'],
}

export async function sealJwe(
  plaintext: Uint8Array,
  key: PurposeKey,
  header: Record<string, string> = {},
): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ ...header, alg: 'dir', enc: 'A256GCM', kid: key.kid })
    .encrypt(await aesKey(key.key))
}

export async function openJwe(
  jwe: string,
  key: PurposeKey,
): Promise<{ plaintext: Uint8Array; protectedHeader: CompactJWEHeaderParameters }> {
  return compactDecrypt(
    jwe,
    (header: CompactJWEHeaderParameters) => {
      if (header.kid === undefined) return aesKey(key.legacyKey)
      if (header.kid === key.kid) return aesKey(key.key)
      throw new Error('sealed under another key')
    },
    ALGORITHMS,
  )
}

/** The same plaintext under another key (master-key rotation), keeping the protected header's
 * own parameters (`cty`, bindings) so that it opens where it opened before. */
export async function resealJwe(jwe: string, from: PurposeKey, to: PurposeKey): Promise<string> {
  const { plaintext, protectedHeader } = await openJwe(jwe, from)
  const { alg: _alg, enc: _enc, kid: _kid, ...own } = protectedHeader
  return sealJwe(plaintext, to, own as Record<string, string>)
}
