// What a section reports, the markdown it becomes, and the CI check over its ratios.
import { execFileSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { canPin } from './cpu.js'
import { fmt } from './stats.js'

export interface Row {
  measure: string
  /** The measured value (median of rounds), with its unit. */
  value: string
  /** Latency percentiles, e.g. `1.2 / 4.8 ms`. */
  latency?: string
  baseline?: string
  baselineValue?: string
  /** value ÷ baseline (or baseline ÷ value for costs), median over paired rounds. */
  ratio?: number
  /** The ratio's target (≥). `--check` fails below half of it. */
  target?: number
  /** A ratio wanted but not reached yet: reported with its verdict, never fails `--check`. */
  goal?: number
  /** A target in absolute units: reported beside the value, never checked (machines differ). */
  reference?: { text: string; met: boolean }
}

export type SectionStatus = 'ok' | 'unavailable' | 'skipped' | 'failed'

export interface SectionResult {
  id: string
  title: string
  status: SectionStatus
  /** One paragraph under the heading: what was measured and how. */
  summary?: string
  rows: Row[]
  notes: string[]
  data?: unknown
  seconds: number
}

export interface Machine {
  cpu: string
  cores: number
  memory: string
  node: string
  platform: string
  date: string
  commit: string
  pinned: boolean
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  } catch {
    return undefined
  }
}

export function machine(): Machine {
  const commit = git(['rev-parse', '--short', 'HEAD'])?.trim() ?? 'unknown'
  const dirty = (git(['status', '--porcelain', '--untracked-files=no']) ?? '').trim() !== ''
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memory: `${fmt(totalmem() / 2 ** 30, 1)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    commit: dirty ? `${commit} (with uncommitted changes)` : commit,
    pinned: canPin(),
  }
}

/** ✅ target met, ⚠️ below target, ❌ below half of it (fails `--check`). */
function verdict(row: Row): string {
  if (row.ratio !== undefined && row.target !== undefined) {
    if (row.ratio >= row.target) return '✅'
    return row.ratio >= row.target / 2 ? '⚠️' : '❌'
  }
  if (row.ratio !== undefined && row.goal !== undefined) return row.ratio >= row.goal ? '✅' : '⚠️'
  if (row.reference) return row.reference.met ? '✅' : '⚠️'
  return ''
}

export function checkFailures(sections: SectionResult[]): string[] {
  const failures: string[] = []
  for (const s of sections) {
    if (s.status === 'failed') failures.push(`${s.title}: the section failed`)
    for (const r of s.rows) {
      if (r.ratio === undefined || r.target === undefined) continue
      if (!(r.ratio >= r.target / 2)) {
        failures.push(
          `${s.title} — ${r.measure}: ratio ${fmt(r.ratio, 2)} is below half its target ${r.target}`,
        )
      }
    }
  }
  return failures
}

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|')

function table(rows: Row[]): string {
  const head =
    '| measure | value (median) | p50 / p99 | baseline | baseline (median) | ratio | target | |\n' +
    '|---|---:|---:|---|---:|---:|---|---|\n'
  return (
    head +
    rows
      .map((r) => {
        const target =
          r.target !== undefined
            ? `≥ ${r.target}`
            : r.goal !== undefined
              ? `≥ ${r.goal} (goal, not checked)`
              : r.reference
                ? `${r.reference.text} (absolute)`
                : ''
        const ratio = r.ratio === undefined ? '' : fmt(r.ratio, r.ratio >= 100 ? 0 : 2)
        return `| ${[
          r.measure,
          r.value,
          r.latency ?? '',
          r.baseline ?? '',
          r.baselineValue ?? '',
          ratio,
          target,
          verdict(r),
        ]
          .map(cell)
          .join(' | ')} |`
      })
      .join('\n')
  )
}

export function renderMarkdown(
  m: Machine,
  sections: SectionResult[],
  o: { quick: boolean; seconds: number },
): string {
  const out: string[] = []
  out.push(`# Keyless benchmark results${o.quick ? ' (--quick)' : ''}`)
  out.push('')
  out.push(
    'Every figure sits beside a baseline measured in the same run on the same machine; the ' +
      'ratio is what to compare between runs and machines, not the absolute value. A measure ' +
      'and its baseline alternate in short slices, so both see the same interference; the ratio ' +
      'is the median over adjacent slices, the rates are medians over rounds. ' +
      '✅ target met, ⚠️ below target, ❌ below half the target (fails `npm run bench -- --check`). ' +
      'Absolute targets are shown for reference and never checked.',
  )
  out.push('')
  out.push('| machine | |')
  out.push('|---|---|')
  out.push(`| CPU | ${m.cpu} |`)
  out.push(`| cores | ${m.cores} |`)
  out.push(`| memory | ${m.memory} |`)
  out.push(`| Node.js | ${m.node} (${m.platform}) |`)
  out.push(`| date | ${m.date} |`)
  out.push(`| commit | ${m.commit} |`)
  out.push(
    `| pinning | ${m.pinned ? 'server on core 0, load generator and benchmark on core 1 (taskset)' : 'none (taskset unavailable or one core): figures are less stable'} |`,
  )
  out.push(`| run time | ${fmt(o.seconds, 0)} s |`)
  for (const s of sections) {
    out.push('')
    out.push(`## ${s.title}`)
    out.push('')
    if (s.status === 'unavailable') out.push('_Not available yet._ ' + (s.summary ?? ''))
    else if (s.status === 'skipped') out.push('_Skipped._ ' + (s.summary ?? ''))
    else if (s.status === 'failed') out.push('**Failed.** ' + (s.summary ?? ''))
    else if (s.summary) out.push(s.summary)
    if (s.rows.length) {
      out.push('')
      out.push(table(s.rows))
    }
    if (s.notes.length) {
      out.push('')
      for (const n of s.notes) out.push(`- ${n}`)
    }
    out.push('')
    out.push(`<sub>${fmt(s.seconds, 1)} s</sub>`)
  }
  return out.join('\n') + '\n'
}
