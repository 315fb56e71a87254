// `npm run bench [-- --quick] [-- --check] [-- --only <id,...>]`: starts Keyless as users do,
// runs each section, and writes bench/RESULTS.md and bench/results/*.json. Every figure is
// reported beside a baseline measured in the same run, as a ratio; `--check` exits non-zero
// when a ratio falls below half its target (ratios only, never absolute times).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { format, resolveConfig } from 'prettier'
import './lib/children.js'
import { LOAD_CORE, pinSelf } from './lib/cpu.js'
import { ROOT, serverNodeFlags, startKeyless, type Keyless } from './lib/keyless.js'
import { startLoadgen, type Loadgen } from './lib/load.js'
import { profileMarkdown, summarizeProfiles } from './lib/profile.js'
import { checkFailures, machine, renderMarkdown, type SectionResult } from './lib/report.js'
import type { Context, Section } from './lib/section.js'
import { accessChecks } from './sections/access-checks.js'
import { agent } from './sections/agent.js'
import { controlPlane } from './sections/control-plane.js'
import { federation } from './sections/federation.js'
import { issuance } from './sections/issuance.js'
import { memory } from './sections/memory.js'
import { propagation } from './sections/propagation.js'
import { queues } from './sections/queues.js'
import { replicaPropagation } from './sections/replica-propagation.js'
import { vaultKeys } from './sections/vault-keys.js'
import { verification } from './sections/verification.js'

/** In report order. */
const SECTIONS: Section[] = [
  issuance,
  verification,
  controlPlane,
  memory,
  agent,
  accessChecks,
  propagation,
  vaultKeys,
  replicaPropagation,
  queues,
  federation,
]
/** Memory first: it measures an idle server, before the others load it. */
const RUN_ORDER = [
  'memory',
  'issuance',
  'verification',
  'agent',
  'control-plane',
  'access-checks',
  'propagation',
  'vault-keys',
  'queues',
  'federation',
  'replica-propagation',
]

const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const check = argv.includes('--check')
const onlyAt = argv.indexOf('--only')
const only = onlyAt >= 0 ? new Set(argv[onlyAt + 1]?.split(',')) : undefined
const profile = argv.includes('--profile')
const RESULTS = join(ROOT, 'bench/results')
const PROFILES = join(RESULTS, 'profiles')
// The whole run is bounded: a stuck section cannot hold CI. (The quick run takes about 2 min on
// a quiet machine and over 4 on a loaded one, hence the margin.)
const WATCHDOG_MS = quick ? 8 * 60_000 : 20 * 60_000

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 60_000} min, giving up`)
  process.exit(2)
}, WATCHDOG_MS)
watchdog.unref()

pinSelf(LOAD_CORE)
mkdirSync(RESULTS, { recursive: true })
if (profile) {
  rmSync(PROFILES, { recursive: true, force: true })
  serverNodeFlags.push('--cpu-prof', `--cpu-prof-dir=${PROFILES}`)
}

/** Files under bench/results are formatted as Prettier would, so `prettier --check .` passes. */
async function writePretty(file: string, text: string) {
  const options = (await resolveConfig(file)) ?? {}
  writeFileSync(file, await format(text, { ...options, filepath: file }))
}

let shared: Promise<Keyless> | undefined
let loadgen: Promise<Loadgen> | undefined
const ctx: Context = {
  quick,
  rounds: quick ? 3 : 5,
  shared: () => (shared ??= startKeyless()),
  loadgen: () => (loadgen ??= startLoadgen()),
  saveJson: (name, data) => writePretty(join(RESULTS, `${name}.json`), JSON.stringify(data)),
  log: (m) => console.log(`  ${m}`),
}

const started = performance.now()
const m = machine()
console.log(
  `Keyless benchmark${quick ? ' (--quick)' : ''}: ${m.cpu}, ${m.cores} cores, Node ${m.node}`,
)
const results = new Map<string, SectionResult>()
try {
  for (const id of RUN_ORDER) {
    const section = SECTIONS.find((s) => s.id === id)!
    if (only && !only.has(id)) continue
    console.log(`${section.title}`)
    const t0 = performance.now()
    let result: SectionResult
    try {
      const o = await section.run(ctx)
      result = { id, title: section.title, rows: [], notes: [], ...o, seconds: 0 }
    } catch (e) {
      console.error(`  failed: ${(e as Error).stack ?? e}`)
      result = {
        id,
        title: section.title,
        status: 'failed',
        summary: String((e as Error).message).split('\n')[0],
        rows: [],
        notes: [],
        seconds: 0,
      }
    }
    result.seconds = (performance.now() - t0) / 1000
    if (result.status !== 'ok') console.log(`  ${result.status}: ${result.summary ?? ''}`)
    await ctx.saveJson(id, { ...result, machine: m, quick })
    results.set(id, result)
  }
} finally {
  if (loadgen) await (await loadgen.catch(() => undefined))?.close()
  if (shared) await (await shared.catch(() => undefined))?.dispose()
}

const ordered = SECTIONS.flatMap((s) => results.get(s.id) ?? [])
const seconds = (performance.now() - started) / 1000
writeFileSync(join(ROOT, 'bench/RESULTS.md'), renderMarkdown(m, ordered, { quick, seconds }))
await ctx.saveJson('summary', { machine: m, quick, seconds, sections: ordered })
console.log(`wrote bench/RESULTS.md and bench/results/*.json in ${seconds.toFixed(0)} s`)

if (profile) {
  const summaries = summarizeProfiles(PROFILES)
  await writePretty(join(PROFILES, 'summary.md'), summaries.map(profileMarkdown).join('\n'))
  console.log(`CPU profiles of the Keyless processes: bench/results/profiles/ (summary.md)`)
}

if (check) {
  const failures = checkFailures(ordered)
  if (failures.length) {
    console.error(`bench --check: ${failures.length} ratio(s) below half their target:`)
    for (const f of failures) console.error(`  ${f}`)
    process.exit(1)
  }
  console.log('bench --check: every ratio is at least half its target')
}
process.exit(0)
