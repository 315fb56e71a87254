// Blob content at rest: AES-256-GCM in fixed-size chunks (a STREAM-like construction, Hoang,
// Reyhanitabar, Rogaway, Vizár 2015), so uploads stream and a range read decrypts only the chunks
// it touches. Each content file has its own key, HKDF of the blob-content purpose key and the
// file's name; each chunk its own random nonce and, as associated data, the file name, its index
// and whether it is the last. A chunk moved within a file, copied into another file, or a file
// cut short after a chunk boundary therefore fails authentication instead of reading as data.
//
// Stored chunk: nonce (12) ‖ ciphertext (≤ CHUNK_BYTES) ‖ tag (16). Every chunk but the last
// holds exactly CHUNK_BYTES of plaintext; an empty blob is one empty final chunk.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { PurposeKey } from '../../common/key-hierarchy.js'

export const CHUNK_BYTES = 64 * 1024
const NONCE = 12
const TAG = 16
export const CHUNK_OVERHEAD = NONCE + TAG

export class ChunkAuthenticationError extends Error {
  constructor(file: string, index: number) {
    super('blob content failed authentication')
    this.name = 'ChunkAuthenticationError'
    Object.assign(this, { file, index })
  }
}

/** How many chunks hold `size` bytes of plaintext (at least one). */
export const chunkCount = (size: number) => Math.max(1, Math.ceil(size / CHUNK_BYTES))

/** Where chunk `index` starts in the stored file. */
export const chunkOffset = (index: number) => index * (CHUNK_BYTES + CHUNK_OVERHEAD)

function associatedData(file: string, index: number, last: boolean): Buffer {
  const fixed = Buffer.alloc(9)
  fixed.writeBigUInt64BE(BigInt(index), 0)
  fixed[8] = last ? 1 : 0
  return Buffer.concat([Buffer.from(`keyless-blob-chunk-v1|${file}|`, 'utf8'), fixed])
}

export class ContentCipher {
  readonly #key: PurposeKey

  constructor(key: PurposeKey) {
    this.#key = key
  }

  #fileKey(file: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key.key, Buffer.alloc(0), `file|${file}`, 32))
  }

  /** An encryptor for one new file: call `seal` with each full chunk and the last one. */
  sealer(file: string): (plaintext: Buffer, index: number, last: boolean) => Buffer {
    const key = this.#fileKey(file)
    return (plaintext, index, last) => {
      const nonce = randomBytes(NONCE)
      const c = createCipheriv('aes-256-gcm', key, nonce)
      c.setAAD(associatedData(file, index, last))
      return Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()])
    }
  }

  /** A decryptor for one file; throws ChunkAuthenticationError on any tampering. */
  opener(file: string): (stored: Buffer, index: number, last: boolean) => Buffer {
    const key = this.#fileKey(file)
    return (stored, index, last) => {
      if (stored.length < CHUNK_OVERHEAD) throw new ChunkAuthenticationError(file, index)
      const d = createDecipheriv('aes-256-gcm', key, stored.subarray(0, NONCE))
      d.setAAD(associatedData(file, index, last))
      d.setAuthTag(stored.subarray(stored.length - TAG))
      try {
        return Buffer.concat([d.update(stored.subarray(NONCE, stored.length - TAG)), d.final()])
      } catch {
        throw new ChunkAuthenticationError(file, index)
      }
    }
  }
}
