// Fault injection for users' retry code (issue 15): the misbehaviour of Azure's identity
// endpoints an operator can ask the agent to play, parsed from the CLI's `--fault` specs, and the
// decision per request. Pure: the random source is passed in (seeded in tests), and a plan's only
// state is how many requests each fault has seen (for `first=N`).
//   <status>[:<p>|:first=<n>]   404 (identity not yet available), 410 (IMDS upgrading),
//                               429 (throttled), 500, 503; always, with probability p, or for
//                               the first n requests only
//   delay:<n>ms|<n>s[:<p>|:first=<n>]   answer that much later (the answer itself unchanged)
import { BadRequest } from './errors.js'

export const FAULT_STATUSES = [404, 410, 429, 500, 503] as const
export type FaultStatus = (typeof FAULT_STATUSES)[number]

/** When a fault applies: to every request, to a random share, or to the first n. */
export type FaultTrigger = { probability: number } | { first: number }

export type Fault = ({ status: FaultStatus } | { delayMs: number }) & FaultTrigger

/** The longest delay: past it every client has timed out, and the agent would hold sockets. */
export const MAX_FAULT_DELAY_MS = 120_000
const MAX_FIRST = 1_000_000

const invalid = (spec: string, why: string) =>
  new BadRequest('InvalidFault', `fault '${spec}': ${why}`)

function parseTrigger(spec: string, text: string | undefined): FaultTrigger {
  if (text === undefined) return { probability: 1 }
  const first = /^first=(\d+)$/.exec(text)
  if (first) {
    const n = Number(first[1])
    if (n < 1 || n > MAX_FIRST) throw invalid(spec, `first must be 1 to ${MAX_FIRST}`)
    return { first: n }
  }
  const p = /^(?:0|1|0?\.\d+|1\.0*)$/.test(text) ? Number(text) : NaN
  if (!(p > 0 && p <= 1))
    throw invalid(spec, `'${text}' is neither a probability in (0, 1] nor first=<n>`)
  return { probability: p }
}

function parseDelay(spec: string, text: string): number {
  const m = /^(\d+)(ms|s)$/.exec(text)
  if (!m) throw invalid(spec, `the delay must be <n>ms or <n>s, not '${text}'`)
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1)
  if (ms < 1 || ms > MAX_FAULT_DELAY_MS)
    throw invalid(spec, `the delay must be 1 ms to ${MAX_FAULT_DELAY_MS / 1000} s`)
  return ms
}

export function parseFault(spec: string): Fault {
  const parts = spec.trim().split(':')
  if (parts.length > 3) throw invalid(spec, 'expected <status|delay:<time>>[:<p>|:first=<n>]')
  const [head = '', ...rest] = parts
  if (head === 'delay') {
    if (rest[0] === undefined) throw invalid(spec, 'delay needs a time, e.g. delay:200ms')
    return { delayMs: parseDelay(spec, rest[0]), ...parseTrigger(spec, rest[1]) }
  }
  if (rest.length > 1) throw invalid(spec, 'expected <status>[:<p>|:first=<n>]')
  const status = Number(head) as FaultStatus
  if (!/^\d{3}$/.test(head) || !FAULT_STATUSES.includes(status)) {
    throw invalid(spec, `the status must be one of ${FAULT_STATUSES.join(', ')} or delay`)
  }
  return { status, ...parseTrigger(spec, rest[0]) }
}

/** The spec a fault was parsed from, normalised (what `keyless agent fault list` shows). */
export function formatFault(f: Fault): string {
  const what = 'status' in f ? String(f.status) : `delay:${f.delayMs}ms`
  if ('first' in f) return `${what}:first=${f.first}`
  return f.probability === 1 ? what : `${what}:${f.probability}`
}

/** What to do to one request: answer an error status instead, and/or answer later. */
export interface FaultDecision {
  status?: FaultStatus
  delayMs?: number
}

export interface FaultPlan {
  readonly faults: readonly Fault[]
  /** How many requests each fault has changed so far. */
  readonly injected: readonly number[]
  /** The decision for the next request; undefined: answer it normally. */
  decide(): FaultDecision | undefined
}

/**
 * The first status fault that fires wins (one answer per request); the delays that fire add up.
 * Every fault sees every request, so `first=n` counts the requests, not the fault's own turns.
 */
export function createFaultPlan(faults: readonly Fault[], random: () => number): FaultPlan {
  const seen = faults.map(() => 0)
  const injected = faults.map(() => 0)
  return {
    faults,
    injected,
    decide() {
      let status: FaultStatus | undefined
      let delayMs = 0
      faults.forEach((f, i) => {
        seen[i]!++
        const fires = 'first' in f ? seen[i]! <= f.first : random() < f.probability
        if (!fires) return
        if ('delayMs' in f) delayMs += f.delayMs
        else if (status === undefined) status = f.status
        else return
        injected[i]!++
      })
      if (status === undefined && delayMs === 0) return undefined
      return {
        ...(status === undefined ? {} : { status }),
        ...(delayMs === 0 ? {} : { delayMs: Math.min(delayMs, MAX_FAULT_DELAY_MS) }),
      }
    },
  }
}

/** A small seeded generator (mulberry32) so tests replay the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
