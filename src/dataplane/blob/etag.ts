// ETags and dates as Azure Storage writes them. An ETag is `0x` and the hex of a .NET tick count
// (`0x8DBE5A1B2C3D4E6`), quoted in headers and bare in blob listings; each change gets a new one,
// strictly increasing within a process and randomised in its low digits across replicas.
import { randomInt } from 'node:crypto'

const EPOCH_TICKS = 621_355_968_000_000_000n
let last = 0n

export function nextEtag(now: number): string {
  let ticks = BigInt(now) * 10_000n + EPOCH_TICKS + BigInt(randomInt(0, 10_000))
  if (ticks <= last) ticks = last + 1n
  last = ticks
  return `0x${ticks.toString(16).toUpperCase()}`
}

export function quoted(etag: string): string {
  return `"${etag}"`
}

/** RFC 1123, e.g. `Tue, 14 Nov 2023 22:13:20 GMT`. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString()
}
