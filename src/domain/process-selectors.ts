// Process selectors (issue 15), a Keyless extension in the style of SPIRE's workload attestors
// (`unix:uid`, `systemd:id`, …): an identity attachment may name which local processes may get
// its tokens. Every kind given must match; several values of one kind match if any does. Pure:
// what the process is (ProcessFacts) is read by the agent (agent/process-facts.ts).
import { BadRequest } from './errors.js'

export const SELECTOR_KINDS = ['uid', 'gid', 'unit', 'cgroup', 'exe', 'sha256'] as const
export type ProcessSelectorKind = (typeof SELECTOR_KINDS)[number]

/** Absent kinds do not constrain; an empty object constrains nothing (no selectors). */
export interface ProcessSelectors {
  /** Effective uid. */
  uid?: number[]
  /** Effective (primary) gid. */
  gid?: number[]
  /** systemd unit, exactly (`nginx.service`). */
  unit?: string[]
  /** cgroup v2 path prefix, whole segments (`/system.slice` covers `/system.slice/a.service`). */
  cgroup?: string[]
  /** Absolute path of the executable, exactly. */
  exe?: string[]
  /** SHA-256 of the executable, lower-case hex. */
  sha256?: string[]
}

/** What the agent knows of the calling process; `sha256` is computed only when asked for. */
export interface ProcessFacts {
  uid: number
  gid: number
  unit?: string
  cgroup?: string
  exe?: string
  sha256: () => string | undefined
}

/** The ARM property: `identity.keylessSelectors` and each user-assigned value's. */
export const SELECTORS_PROPERTY = 'keylessSelectors'

const MAX_VALUES = 32
const SHA256_HEX = /^[0-9a-f]{64}$/
const UNIT = /^[A-Za-z0-9:_.\\@-]+\.(service|scope|socket|slice|mount|timer)$/

export const hasSelectors = (s: ProcessSelectors | undefined): s is ProcessSelectors =>
  s !== undefined && SELECTOR_KINDS.some((k) => s[k] !== undefined)

const isUnder = (path: string, prefix: string): boolean =>
  prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)

/** The first kind the process does not match, or undefined if it matches every kind given. */
export function selectorMismatch(
  selectors: ProcessSelectors,
  facts: ProcessFacts,
): ProcessSelectorKind | undefined {
  if (selectors.uid && !selectors.uid.includes(facts.uid)) return 'uid'
  if (selectors.gid && !selectors.gid.includes(facts.gid)) return 'gid'
  if (selectors.unit && (facts.unit === undefined || !selectors.unit.includes(facts.unit)))
    return 'unit'
  const cgroup = facts.cgroup
  if (
    selectors.cgroup &&
    (cgroup === undefined || !selectors.cgroup.some((p) => isUnder(cgroup, p)))
  )
    return 'cgroup'
  if (selectors.exe && (facts.exe === undefined || !selectors.exe.includes(facts.exe))) return 'exe'
  // Last: hashing the executable is the only costly fact, and only a match of the rest needs it.
  if (selectors.sha256) {
    const sha = facts.sha256()
    if (sha === undefined || !selectors.sha256.includes(sha)) return 'sha256'
  }
  return undefined
}

const invalid = (target: string, message: string): never => {
  throw new BadRequest('InvalidSelectors', message, { target })
}

function readValues(kind: ProcessSelectorKind, raw: unknown, target: string): (string | number)[] {
  const values = Array.isArray(raw) ? (raw as unknown[]) : [raw]
  if (values.length === 0 || values.length > MAX_VALUES) {
    invalid(target, `${target} must list 1 to ${MAX_VALUES} values`)
  }
  return values.map((v) => {
    if (kind === 'uid' || kind === 'gid') {
      const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
        invalid(target, `${target}: '${String(v)}' is not a ${kind} (an integer from 0)`)
      }
      return n as number
    }
    if (typeof v !== 'string' || v.length === 0 || v.length > 4096 || v.includes('\0')) {
      return invalid(target, `${target}: each value must be a non-empty string`)
    }
    if (kind === 'sha256' && !SHA256_HEX.test(v.toLowerCase())) {
      invalid(target, `${target}: '${v}' is not a SHA-256 in hex`)
    }
    if ((kind === 'cgroup' || kind === 'exe') && !v.startsWith('/')) {
      invalid(target, `${target}: '${v}' is not an absolute path`)
    }
    if (kind === 'unit' && !UNIT.test(v)) {
      invalid(target, `${target}: '${v}' is not a systemd unit name (e.g. 'app.service')`)
    }
    return kind === 'sha256' ? v.toLowerCase() : v
  })
}

/**
 * `keylessSelectors` as a client sent it: an object of kinds (case-insensitive names), each a
 * value or an array of values. `null` or `{}`: no selectors. Throws 400 InvalidSelectors.
 */
export function parseProcessSelectors(raw: unknown, target: string): ProcessSelectors {
  if (raw === null || raw === undefined) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return invalid(target, `${target} must be an object of ${SELECTOR_KINDS.join(', ')}`)
  }
  const out: Record<string, (string | number)[]> = {}
  for (const [name, value] of Object.entries(raw)) {
    const kind = SELECTOR_KINDS.find((k) => k === name.toLowerCase())
    if (!kind) {
      invalid(target, `${target}: unknown selector '${name}' (known: ${SELECTOR_KINDS.join(', ')})`)
    }
    if (out[kind!]) invalid(target, `${target}: selector '${name}' is given twice`)
    out[kind!] = [...new Set(readValues(kind!, value, `${target}.${kind!}`))]
  }
  return out as ProcessSelectors
}

/** Stored and sent in one canonical form (kinds in SELECTOR_KINDS order); null when empty. */
export function serializeSelectors(s: ProcessSelectors | undefined): string | null {
  if (!hasSelectors(s)) return null
  const out: Record<string, unknown> = {}
  for (const k of SELECTOR_KINDS) if (s[k]) out[k] = s[k]
  return JSON.stringify(out)
}

/** The stored form back; a row written by this code only, so it is trusted. */
export function deserializeSelectors(
  text: string | null | undefined,
): ProcessSelectors | undefined {
  if (!text) return undefined
  return JSON.parse(text) as ProcessSelectors
}
