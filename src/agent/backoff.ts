// How long an agent waits before asking a server that failed again: exponential, capped, and
// jittered ("equal jitter": half fixed, half random), so that agents, and the keys of one agent,
// that failed together do not come back together when the server returns (no thundering herd).
// The event stream's reconnects and the cache's background refreshes both wait by this rule.

export interface Backoff {
  /** The wait after the first failure (ms). */
  initialMs: number
  /** The longest wait (ms). */
  maxMs: number
}

/** The wait after `failures` (≥ 1) consecutive failures; `random` in [0, 1). */
export function backoffDelay(b: Backoff, failures: number, random: () => number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30)
  const delay = Math.min(b.maxMs, b.initialMs * 2 ** exponent)
  return delay / 2 + random() * (delay / 2)
}
