// Blob content on disk, written so that a crash never leaves half a blob visible:
//   1. stream the body into `tmp/<name>`, hashing and counting, refusing past the size limit;
//   2. fsync it, rename it to `data/<xx>/<name>`, fsync the directory;
//   3. only then does the caller commit the row that names it (one store transaction).
// A crash before 3 leaves a file no row names, removed by the collector (gc.ts). A file is
// never rewritten: an overwrite writes a new file and deletes the old one after the commit, so
// a reader streaming the old version keeps its open descriptor and is never torn.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
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

const COPY_CHUNK = 1024 * 1024

export class ContentFiles {
  readonly root: string
  readonly tmpDir: string
  readonly dataDir: string

  constructor(root: string) {
    this.root = root
    this.tmpDir = join(root, 'tmp')
    this.dataDir = join(root, 'data')
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 })
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 })
  }

  /** Lower-case hex, so names sort the same in every collation (store listReferencedFiles). */
  static newName(): string {
    return randomBytes(16).toString('hex')
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
        const stream = createReadStream(this.path(part.file), {
          start: part.start,
          end: part.start + part.length - 1,
          highWaterMark: COPY_CHUNK,
        })
        for await (const chunk of stream) await add(fh, chunk as Buffer)
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
    let size = 0
    const add = async (fh: FileHandle, chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) throw BlobErrors.bodyTooLarge(maxBytes)
      hash.update(chunk)
      await fh.write(chunk)
    }
    const fh = await open(tmp, 'wx', 0o600)
    try {
      try {
        await fill(fh, add)
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

  /** Best effort: a file left behind is collected later. */
  async remove(names: Iterable<string>): Promise<void> {
    for (const name of names) await rm(this.path(name), { force: true }).catch(() => undefined)
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
