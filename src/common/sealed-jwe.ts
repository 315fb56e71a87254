// Data sealed at rest as a compact JWE (`dir` + A256GCM) under one purpose's derived key. The
// protected header names the key (`kid`), so the format is versioned: a JWE without `kid` was
// sealed under the raw master key by an installation from before key derivation and still
// opens; a JWE naming another purpose's key, or an unknown one, is refused.
import { CompactEncrypt, compactDecrypt, type CompactJWEHeaderParameters } from 'jose'
import type { PurposeKey } from './key-hierarchy.js'

const ALGORITHMS = {
  keyManagementAlgorithms: ['dir'],
  contentEncryptionAlgorithms: ['A256GCM'],
}

export function sealJwe(
  plaintext: Uint8Array,
  key: PurposeKey,
  header: Record<string, string> = {},
): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ ...header, alg: 'dir', enc: 'A256GCM', kid: key.kid })
    .encrypt(key.key)
}

export async function openJwe(
  jwe: string,
  key: PurposeKey,
): Promise<{ plaintext: Uint8Array; protectedHeader: CompactJWEHeaderParameters }> {
  return compactDecrypt(
    jwe,
    (header: CompactJWEHeaderParameters) => {
      if (header.kid === undefined) return key.legacyKey
      if (header.kid === key.kid) return key.key
      throw new Error('sealed under another key')
    },
    ALGORITHMS,
  )
}
