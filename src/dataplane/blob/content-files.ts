// Blob content on disk, written so that a crash never leaves half a blob visible:
//   1. stream the body into `tmp/<name>`, hashing and counting, refusing past the size limit;
//   2. fsync it, rename it to `data/<xx>/<name>`, fsync the directory;
//   3. only then does the caller commit the row that names it (one store transaction).
// A crash before 3 leaves a file no row names, removed by the collector (gc.ts). A file is
// never rewritten: an overwrite writes a new file and deletes the old one after the commit, so
// a reader streaming the old version keeps its open descriptor and is never torn.
//
// Content is encrypted in chunks (content-cipher.ts). The format is marked per file by its
// name: 40 hex digits for an encrypted file; the 32 hex digits of files written before
// encryption at rest name plain content, which still reads as it is.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { PurposeKey } from '../../common/key-hierarchy.js'
import {
  CHUNK_BYTES,
  CHUNK_OVERHEAD,
  ChunkAuthenticationError,
  chunkOffset,
  ContentCipher,
} from './content-cipher.js'
import { BlobErrors } from './errors.js'

export interface WrittenFile {
  /** File name under data/, once committed. */
  name: string
  size: number
  md5: Buffer
}

export interface Part {
  file: string
  start: number
  length: number
}

const SEALED_NAME = /^[0-9a-f]{40}$/
const PLAIN_READ = 1024 * 1024

export class ContentFiles {
  readonly root: string
  readonly tmpDir: string
  readonly dataDir: string
  readonly #cipher: ContentCipher

  constructor(root: string, key: PurposeKey) {
    this.root = root
    this.tmpDir = join(root, 'tmp')
    this.dataDir = join(root, 'data')
    this.#cipher = new ContentCipher(key)
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 })
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 })
  }

  /** Lower-case hex, so names sort the same in every collation (store listReferencedFiles);
   * 160 random bits, whose length marks the file as encrypted. */
  static newName(): string {
    return randomBytes(20).toString('hex')
  }

  static isSealed(name: string): boolean {
    return SEALED_NAME.test(name)
  }

  path(name: string): string {
    return join(this.dataDir, name.slice(0, 2), name)
  }

  tmpPath(name: string): string {
    return join(this.tmpDir, name)
  }

  /** Streams `source` into a new content file; throws 413 past `maxBytes`. */
  async write(
    source: AsyncIterable<Buffer> | Iterable<Buffer> | Readable,
    maxBytes: number,
  ): Promise<WrittenFile> {
    return this.#writeWith(maxBytes, async (fh, add) => {
      for await (const chunk of source) await add(fh, chunk as Buffer)
    })
  }

  /** Writes the concatenation of ranges of existing content files into a new one. */
  async concat(parts: readonly Part[], maxBytes: number): Promise<WrittenFile> {
    return this.#writeWith(maxBytes, async (fh, add) => {
      for (const part of parts) {
        if (part.length === 0) continue
        const source = await open(this.path(part.file), 'r')
        try {
          const end = part.start + part.length - 1
          for await (const chunk of this.read(source, part.file, part.start, end)) {
            await add(fh, chunk)
          }
        } finally {
          await source.close()
        }
      }
    })
  }

  async #writeWith(
    maxBytes: number,
    fill: (fh: FileHandle, add: (fh: FileHandle, chunk: Buffer) => Promise<void>) => Promise<void>,
  ): Promise<WrittenFile> {
    const name = ContentFiles.newName()
    const tmp = this.tmpPath(name)
    const hash = createHash('md5')
    const seal = this.#cipher.sealer(name)
    let size = 0
    let index = 0
    // A full chunk is sealed only once more bytes follow it: the last chunk is marked as such.
    let pending: Buffer[] = []
    let pendingBytes = 0
    const flushFull = async (fh: FileHandle) => {
      if (pendingBytes <= CHUNK_BYTES) return
      const all = Buffer.concat(pending, pendingBytes)
      let at = 0
      for (; pendingBytes - at > CHUNK_BYTES; at += CHUNK_BYTES) {
        await fh.write(seal(all.subarray(at, at + CHUNK_BYTES), index++, false))
      }
      pending = [all.subarray(at)]
      pendingBytes -= at
    }
    const add = async (fh: FileHandle, chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) throw BlobErrors.bodyTooLarge(maxBytes)
      hash.update(chunk)
      pending.push(chunk)
      pendingBytes += chunk.length
      await flushFull(fh)
    }
    const fh = await open(tmp, 'wx', 0o600)
    try {
      try {
        await fill(fh, add)
        await fh.write(seal(Buffer.concat(pending), index, true))
        await fh.sync()
      } finally {
        await fh.close()
      }
      const dir = join(this.dataDir, name.slice(0, 2))
      await mkdir(dir, { recursive: true, mode: 0o700 })
      await rename(tmp, this.path(name))
      await syncDir(dir)
    } catch (error) {
      await rm(tmp, { force: true })
      throw error
    }
    return { name, size, md5: hash.digest() }
  }

  /**
   * The plaintext bytes `start`..`end` (inclusive) of the open content file `name`. An encrypted
   * file is read and decrypted chunk by chunk, only the chunks the range touches; a chunk that
   * fails authentication throws ChunkAuthenticationError, never yields its bytes.
   */
  async *read(fh: FileHandle, name: string, start: number, end: number): AsyncGenerator<Buffer> {
    if (!ContentFiles.isSealed(name)) {
      for (let at = start; at <= end;) {
        const buffer = await readExactly(fh, at, Math.min(PLAIN_READ, end - at + 1))
        if (buffer.length === 0) return
        yield buffer
        at += buffer.length
      }
      return
    }
    const stored = (await fh.stat()).size
    const chunks = Math.ceil(stored / (CHUNK_BYTES + CHUNK_OVERHEAD))
    const open = this.#cipher.opener(name)
    for (let i = Math.floor(start / CHUNK_BYTES); i <= Math.floor(end / CHUNK_BYTES); i++) {
      if (i >= chunks) throw new ChunkAuthenticationError(name, i)
      const length = Math.min(CHUNK_BYTES + CHUNK_OVERHEAD, stored - chunkOffset(i))
      const plain = open(await readExactly(fh, chunkOffset(i), length), i, i === chunks - 1)
      const from = Math.max(0, start - i * CHUNK_BYTES)
      const to = Math.min(plain.length, end - i * CHUNK_BYTES + 1)
      yield plain.subarray(from, to)
    }
  }

  /** Best effort: a file left behind is collected later. */
  async remove(names: Iterable<string>): Promise<void> {
    for (const name of names) await rm(this.path(name), { force: true }).catch(() => undefined)
  }
}

async function readExactly(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  let read = 0
  while (read < length) {
    const { bytesRead } = await fh.read(buffer, read, length - read, position + read)
    if (bytesRead === 0) break
    read += bytesRead
  }
  return buffer.subarray(0, read)
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
