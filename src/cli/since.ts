// `--since 1h`, `--until 2026-12-01T00:00:00Z`: a duration back from now (s, m, h, d) or a time.
import { InvalidArgumentError } from 'commander'

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseSince(value: string, now = Date.now()): string {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim())
  if (m) return new Date(now - Number(m[1]) * UNIT_MS[m[2]!]!).toISOString()
  const t = Date.parse(value)
  if (!Number.isFinite(t)) {
    throw new InvalidArgumentError(`'${value}' is neither a duration (30m, 1h, 7d) nor a time`)
  }
  return new Date(t).toISOString()
}
