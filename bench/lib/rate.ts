// Operations per second of in-process functions, in short slices that pairedSlices alternates
// with a baseline's, or chunk by chunk over the same items. The clock is read every few calls
// only, so its cost stays out of sub-microsecond figures.
import { performance } from 'node:perf_hooks'

const BATCH = 8

type Fn = () => unknown

async function slice(fn: Fn, ms: number): Promise<[ops: number, ms: number]> {
  let n = 0
  const start = performance.now()
  const end = start + ms
  let now = start
  while (now < end) {
    for (let i = 0; i < BATCH; i++) {
      const r = fn()
      if (r instanceof Promise) await r
    }
    n += BATCH
    now = performance.now()
  }
  return [n, now - start]
}

/** One slice of `fn` for about `ms`: operations done and time taken (for pairedSlices). */
export async function timedSlice(fn: Fn, ms: number): Promise<{ ops: number; ms: number }> {
  const [ops, took] = await slice(fn, ms)
  return { ops, ms: took }
}

/**
 * Rates of each function over the same items (each function sees every item once), in chunks
 * taken in turn; per-call latencies (ms) are kept for the function at `timed`.
 */
export async function interleaveItems<T>(
  items: T[],
  fns: ((item: T) => unknown)[],
  o: { chunk?: number; timed?: number } = {},
): Promise<{ rates: number[]; chunkRatios: number[][]; samplesMs: Float64Array }> {
  const chunk = o.chunk ?? 100
  const time = fns.map(() => 0)
  // chunkRatios[f][c]: how fast fns[0] was next to fns[f] on chunk c (time of f ÷ time of 0).
  const chunkRatios = fns.map((): number[] => [])
  const samplesMs = new Float64Array(items.length)
  for (let from = 0; from < items.length; from += chunk) {
    const to = Math.min(items.length, from + chunk)
    const took: number[] = []
    for (let f = 0; f < fns.length; f++) {
      const fn = fns[f]!
      const start = performance.now()
      for (let i = from; i < to; i++) {
        const s = o.timed === f ? performance.now() : 0
        const r = fn(items[i]!)
        if (r instanceof Promise) await r
        if (o.timed === f) samplesMs[i] = performance.now() - s
      }
      took[f] = performance.now() - start
      time[f]! += took[f]!
    }
    for (let f = 0; f < fns.length; f++) chunkRatios[f]!.push(took[f]! / took[0]!)
  }
  return { rates: time.map((ms) => (items.length * 1000) / ms), chunkRatios, samplesMs }
}

export function rateSync(fn: Fn, ms: number): number {
  let n = 0
  const start = performance.now()
  const end = start + ms
  let now = start
  while (now < end) {
    for (let i = 0; i < BATCH; i++) fn()
    n += BATCH
    now = performance.now()
  }
  return (n * 1000) / (now - start)
}
