// The shape of a benchmark section and what the runner hands each one.
import type { Keyless } from './keyless.js'
import type { Loadgen } from './load.js'
import type { Row, SectionStatus } from './report.js'

export interface Context {
  quick: boolean
  /** Paired rounds per measure. */
  rounds: number
  /** A `keyless up` shared by the sections that only read from it (started on first use). */
  shared(): Promise<Keyless>
  /** The load generator, one process for the whole run (its code stays warm). Sections open
   * their targets on it and drop them when done. */
  loadgen(): Promise<Loadgen>
  /** Writes bench/results/<name>.json. */
  saveJson(name: string, data: unknown): Promise<void>
  log(message: string): void
}

export interface Outcome {
  status: SectionStatus
  summary?: string
  rows?: Row[]
  notes?: string[]
  data?: unknown
}

export interface Section {
  id: string
  title: string
  run(ctx: Context): Promise<Outcome>
}

export const unavailable = (summary: string): Outcome => ({ status: 'unavailable', summary })
