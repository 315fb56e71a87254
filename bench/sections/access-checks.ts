// 6. Access checks: runs bench/rbac-check (the RBAC index beside a naive scan, written
// separately) in its own process on the server core and folds its JSON in. Its targets are
// absolute (µs, s, bytes) and reported for reference; the ratio shown is its speed-up over the
// naive scan measured in the same process.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { track } from '../lib/children.js'
import { pinned, SERVER_CORE } from '../lib/cpu.js'
import { ROOT } from '../lib/keyless.js'
import type { Row } from '../lib/report.js'
import { unavailable, type Context, type Outcome, type Section } from '../lib/section.js'
import { fmt, sig } from '../lib/stats.js'

const SCRIPT = join(ROOT, 'dist/bench/rbac-check.js')
const JSON_FILE = join(ROOT, 'bench/results/rbac.json')

interface RbacResult {
  assignments: number
  principals: number
  buildMs: number
  bytesPerAssignment: number
  rssDeltaBytes: number
  rssAfterBytes?: number
  index: { p50Us: number; p99Us: number; meanUs: number }
  naive: { checks: number; p50Us: number; p99Us: number; meanUs: number }
  speedupP50: number
  timerOverheadNs?: number
}

/** The sizes of a run: the three in a full run, the middle one in --quick. */
const SIZES = { full: [10_000, 100_000, 1_000_000], quick: [100_000] }

function runScript(ctx: Context, assignments: number): Promise<string> {
  const args = ['--expose-gc', SCRIPT, '--assignments', String(assignments)]
  const [cmd, argv] = pinned(SERVER_CORE, process.execPath, args)
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }))
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    const limit = setTimeout(() => child.kill('SIGKILL'), ctx.quick ? 120_000 : 600_000)
    child.once('exit', (code) => {
      clearTimeout(limit)
      if (code === 0) resolve(out)
      else reject(new Error(`rbac-check exited with ${code}: ${out.trim().split('\n').pop()}`))
    })
  })
}

export const accessChecks: Section = {
  id: 'access-checks',
  title: '6. Access checks',
  async run(ctx): Promise<Outcome> {
    if (!existsSync(SCRIPT)) return unavailable('dist/bench/rbac-check.js is not built yet.')
    const results: RbacResult[] = []
    for (const size of ctx.quick ? SIZES.quick : SIZES.full) {
      rmSync(JSON_FILE, { force: true })
      await runScript(ctx, size)
      if (!existsSync(JSON_FILE)) throw new Error('rbac-check wrote no bench/results/rbac.json')
      results.push(JSON.parse(readFileSync(JSON_FILE, 'utf8')) as RbacResult)
    }
    // The smaller sizes get one row each; the largest the full set of rows below.
    const smaller: Row[] = results.slice(0, -1).map((s) => ({
      measure: `checkAccess, ${fmt(s.assignments)} assignments, ${fmt(s.principals)} principals (build ${fmt(s.buildMs / 1000, 2)} s, ${fmt(s.bytesPerAssignment)} B/assignment)`,
      value: `${sig(s.index.meanUs)} µs mean`,
      latency: `${sig(s.index.p50Us)} / ${sig(s.index.p99Us)} µs`,
      baseline: `naive scan (${s.naive.checks} checks)`,
      baselineValue: `${sig(s.naive.p50Us)} µs p50`,
      ratio: s.speedupP50,
    }))
    const r = results[results.length - 1]!
    const at = `${fmt(r.assignments)} assignments`
    const full = r.assignments >= 1_000_000
    const scale = full ? '' : ' at 1 M'
    ctx.log(
      `${at}: p50 ${sig(r.index.p50Us)} µs, p99 ${sig(r.index.p99Us)} µs, build ${fmt(r.buildMs)} ms`,
    )
    const rows: Row[] = [
      ...smaller,
      {
        measure: `checkAccess, ${at}, ${fmt(r.principals)} principals`,
        value: `${sig(r.index.meanUs)} µs mean`,
        latency: `${sig(r.index.p50Us)} / ${sig(r.index.p99Us)} µs`,
        baseline: `naive scan (${r.naive.checks} checks)`,
        baselineValue: `${sig(r.naive.p50Us)} µs p50`,
        ratio: r.speedupP50,
        reference: { text: `p99 ≤ 10 µs${scale}`, met: r.index.p99Us <= 10 },
      },
      {
        measure: 'index build',
        value: `${fmt(r.buildMs / 1000, 2)} s`,
        reference: { text: `≤ 10 s${scale}`, met: r.buildMs <= 10_000 },
      },
      {
        measure: 'index memory (heap + array buffers)',
        value: `${fmt(r.bytesPerAssignment)} B/assignment`,
        reference: { text: '≤ 1 KB/assignment', met: r.bytesPerAssignment <= 1024 },
      },
      // The resident set of the process holding the loaded index (the engine's process is the
      // server's: this is what the index adds to `keyless up`, beside §4's idle figure).
      ...(r.rssAfterBytes === undefined
        ? []
        : [
            {
              measure: `resident set after the ${at} load (RSS delta ${fmt(r.rssDeltaBytes / 2 ** 20)} MiB)`,
              value: `${fmt(r.rssAfterBytes / 2 ** 20)} MiB`,
            },
          ]),
    ]
    return {
      status: 'ok',
      summary:
        'From `node --expose-gc dist/bench/rbac-check.js --assignments <n>' +
        '` (see bench/rbac-check.ts): a synthetic installation with a 4-level scope tree, ' +
        'wildcard custom roles and deny assignments; per-check latency timed around each call ' +
        `(timer cost ${r.timerOverheadNs ?? '?'} ns included). Ratio: naive p50 ÷ index p50.`,
      rows,
      notes: full ? [] : ['--quick runs 100 k assignments; the targets are stated at 1 M.'],
      data: results,
    }
  },
}
