// Small statistics over rounds and latency samples.

export function median(values: number[]): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Nearest-rank percentile of sorted samples (p in 0–1). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
}

export interface Latency {
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** Percentiles of latency samples, in the samples' unit. */
export function summarize(samples: Float64Array | number[]): Latency {
  const s = Float64Array.from(samples).sort()
  let sum = 0
  for (const v of s) sum += v
  return {
    p50: percentile(s, 0.5),
    p90: percentile(s, 0.9),
    p99: percentile(s, 0.99),
    max: s.length ? s[s.length - 1]! : NaN,
    mean: s.length ? sum / s.length : NaN,
  }
}

/** Rounds of a measure beside its baseline: medians, and the median of the per-round ratios
 * (pairing each round with the baseline taken next to it cancels slow drifts of a noisy host). */
export function paired(subject: number[], baseline: number[]) {
  const ratios = subject.map((s, i) => s / baseline[i]!)
  return { subject: median(subject), baseline: median(baseline), ratio: median(ratios), ratios }
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–'
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/** Three significant figures, for values whose scale varies (µs to s). */
export function sig(n: number): string {
  if (!Number.isFinite(n)) return '–'
  if (n === 0) return '0'
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(n))))
  return fmt(n, Math.min(digits, 3))
}
