// Deterministic blob content: the bytes of a seed and a size, so that a test can check a blob it
// did not upload itself (the crash test's uploads ran in a process that was killed).
import { createHash } from 'node:crypto'

export function content(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size)
  let block = createHash('sha256').update(seed).digest()
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i)
    block = createHash('sha256').update(block).digest()
  }
  return out
}

export const md5Hex = (b: Buffer) => createHash('md5').update(b).digest('hex')
