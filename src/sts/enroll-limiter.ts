// Enrollment is open to anyone who can reach the server, so it is rate-limited per client
// address: a guesser of join tokens gets a few tries a minute, a fleet enrolling from one NAT
// address many more. Fixed one-minute windows: simple, and exact enough for a brake.
import type { Clock } from '../domain/clock.js'

export interface EnrollLimits {
  /** Enrollment attempts per address per minute (default 60). */
  attemptsPerMinute: number
  /** Refused attempts (bad join token) per address per minute (default 10). */
  failuresPerMinute: number
}

const WINDOW_MS = 60_000
const MAX_ADDRESSES = 10_000

export function createEnrollLimiter(clock: Clock, limits: Partial<EnrollLimits> = {}) {
  const attempts = limits.attemptsPerMinute ?? 60
  const failures = limits.failuresPerMinute ?? 10
  let windowStart = -Infinity
  let counts = new Map<string, { attempts: number; failures: number }>()

  const countOf = (address: string) => {
    const now = clock.now()
    if (now - windowStart >= WINDOW_MS) {
      windowStart = now
      counts = new Map()
    }
    let c = counts.get(address)
    if (!c) {
      // A flood of addresses cannot grow the map past its bound; they share one entry then.
      if (counts.size >= MAX_ADDRESSES) address = '*'
      c = counts.get(address) ?? { attempts: 0, failures: 0 }
      counts.set(address, c)
    }
    return c
  }

  return {
    /** Seconds to wait when `address` is over a limit, else 0 (and the attempt is counted). */
    admit(address: string): number {
      const c = countOf(address)
      if (c.attempts >= attempts || c.failures >= failures) {
        return Math.max(1, Math.ceil((windowStart + WINDOW_MS - clock.now()) / 1000))
      }
      c.attempts++
      return 0
    },
    failed(address: string): void {
      countOf(address).failures++
    },
  }
}
