// A measure and its baseline in alternating slices: rounds of a few slices each (the order
// flips every pair, so neither side always follows the other), one rate per side per round.
// On a shared host whose speed swings by 2× within seconds, slices a few hundred milliseconds
// long see nearly the same interference; the median of the ratios of adjacent slices is the
// figure, and the rates are medians of per-round rates.
import { performance } from 'node:perf_hooks'
import type { Latency } from './stats.js'
import { median, paired, summarize } from './stats.js'

export interface Timed {
  ops: number
  ms: number
  samplesMs?: number[]
  /** Anything the caller wants to keep (statuses, errors). */
  info?: unknown
}

export interface PairedResult {
  subject: number
  baseline: number
  ratio: number
  ratios: number[]
  rounds: { subject: number; baseline: number }[]
  /** Latency of the subject, median over rounds of each percentile. */
  latencyMs?: Pick<Latency, 'p50' | 'p99'>
  /** The same for the baseline, when its slices report samples. */
  baselineLatencyMs?: Pick<Latency, 'p50' | 'p99'>
}

function medianLatency(ls: Latency[]): Pick<Latency, 'p50' | 'p99'> | undefined {
  if (ls.length === 0) return undefined
  return { p50: median(ls.map((l) => l.p50)), p99: median(ls.map((l) => l.p99)) }
}

export async function pairedSlices(o: {
  rounds: number
  slicesPerRound: number
  /** Unmeasured pairs of slices first, for at least this long (JIT, caches, connections). */
  warmupMs: number
  subject: () => Promise<Timed>
  baseline: () => Promise<Timed>
}): Promise<PairedResult> {
  const warmStart = performance.now()
  do {
    await o.subject()
    await o.baseline()
  } while (performance.now() - warmStart < o.warmupMs)
  const rounds: { subject: number; baseline: number }[] = []
  const pairRatios: number[] = []
  const latencies: Latency[] = []
  const baselineLatencies: Latency[] = []
  for (let r = 0; r < o.rounds; r++) {
    const acc = { s: { ops: 0, ms: 0 }, b: { ops: 0, ms: 0 } }
    const samples: number[] = []
    const baselineSamples: number[] = []
    for (let i = 0; i < o.slicesPerRound; i++) {
      const order = i % 2 === 0 ? (['s', 'b'] as const) : (['b', 's'] as const)
      const rate = { s: 0, b: 0 }
      for (const side of order) {
        const t = side === 's' ? await o.subject() : await o.baseline()
        acc[side].ops += t.ops
        acc[side].ms += t.ms
        rate[side] = t.ops / t.ms
        const into = side === 's' ? samples : baselineSamples
        if (t.samplesMs) for (const v of t.samplesMs) into.push(v)
      }
      pairRatios.push(rate.s / rate.b)
    }
    rounds.push({
      subject: (acc.s.ops * 1000) / acc.s.ms,
      baseline: (acc.b.ops * 1000) / acc.b.ms,
    })
    if (samples.length) latencies.push(summarize(samples))
    if (baselineSamples.length) baselineLatencies.push(summarize(baselineSamples))
  }
  const p = paired(
    rounds.map((r) => r.subject),
    rounds.map((r) => r.baseline),
  )
  return {
    ...p,
    // The median over every adjacent pair of slices: robust to a burst hitting one slice.
    ratio: median(pairRatios),
    ratios: pairRatios,
    rounds,
    latencyMs: medianLatency(latencies),
    baselineLatencyMs: medianLatency(baselineLatencies),
  }
}
