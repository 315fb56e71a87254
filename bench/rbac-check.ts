// RBAC check benchmark (issue 5): 1,000,000 role assignments over 100,000 principals on a
// 4-level scope tree (root → 10 subscriptions → 100 groups each → 10 resources each), built-in
// roles plus custom roles with wildcards, and a few deny assignments. Reports the index build
// time, its memory, and check latency p50/p99 next to a naive scan over every assignment
// (domain/rbac/evaluate.ts) measured in the same run.
//
//   node --expose-gc dist/bench/rbac-check.js [--quick | --assignments N]   (--quick: 100,000)
//
// Latency is timed per call with process.hrtime.bigint(); its own cost (~50 ns, measured and
// printed) is small next to a check, and the batched mean is printed beside it as a cross-check.
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AssignmentIndex } from '../src/authz/assignment-index.js'
import { BUILT_IN_ROLES } from '../src/domain/rbac/built-in-roles.js'
import { createRoleCatalog } from '../src/domain/rbac/compiled-role.js'
import { evaluate } from '../src/domain/rbac/evaluate.js'
import type { RoleAssignmentGrant } from '../src/domain/rbac/types.js'
import { createNaiveScan } from './rbac-naive.js'
import { buildWorld, CHECK_ACTIONS, type World } from './rbac-world.js'

const quick = process.argv.includes('--quick')
// `--assignments N` picks another size (the section runs 10 k, 100 k and 1 M); principals are a
// tenth of the assignments, as at 1 M.
const sizeAt = process.argv.indexOf('--assignments')
const ASSIGNMENTS = sizeAt >= 0 ? Number(process.argv[sizeAt + 1]) : quick ? 100_000 : 1_000_000
if (!Number.isSafeInteger(ASSIGNMENTS) || ASSIGNMENTS < 1000) {
  console.error('--assignments must be an integer of at least 1000')
  process.exit(1)
}
const PRINCIPALS = ASSIGNMENTS / 10
const CHECKS = 100_000
const NAIVE_CHECKS = ASSIGNMENTS <= 100_000 ? 200 : 30

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) {
  console.error('run with node --expose-gc to measure memory')
  process.exit(1)
}
const memory = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

function timeChecks(world: World, n: number, check: (i: number) => boolean) {
  const times = new Float64Array(n)
  let allowed = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint()
    if (check(i)) allowed++
    times[i] = Number(process.hrtime.bigint() - s)
  }
  const total = Number(process.hrtime.bigint() - t0)
  times.sort()
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), mean: total / n, allowed }
}

const loadBefore = loadavg()[0]!
const world = buildWorld({ assignments: ASSIGNMENTS, principals: PRINCIPALS, seed: 7 })
// Making the input objects (formatting GUID strings) is timed alone and subtracted below.
let sink = 0
const g0 = process.hrtime.bigint()
const gc0 = process.cpuUsage()
for (let i = 0; i < ASSIGNMENTS; i++) sink += world.assignment(i).name.length
const inputMs = Number(process.hrtime.bigint() - g0) / 1e6
const inputCpu = process.cpuUsage(gc0)
const inputCpuMs = (inputCpu.user + inputCpu.system) / 1000
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const before = memory()
const c0 = cpuMs()
const t0 = process.hrtime.bigint()
const index = new AssignmentIndex()
for (const r of [...BUILT_IN_ROLES, ...world.customRoles]) index.setRole(r)
for (let i = 0; i < ASSIGNMENTS; i++) index.add(world.assignment(i))
for (const d of world.denies) index.setDeny(d)
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6 - inputMs
const buildCpuMs = cpuMs() - c0 - inputCpuMs
const after = memory()
const heapDelta = after.heap - before.heap
const rssDelta = after.rss - before.rss

// The same random checks for both: half of them by a principal about a resource under one of
// its assignments, half random (5% by principals without any), on resource scopes (and their
// data sub-scopes for data actions), with a mix of actions. A first, different batch of the
// same kind warms up what a running server has warm: JIT, the role decision caches and the
// cache of scope ancestors.
const WARM_UP = 100_000
const checks = world.checks(CHECKS + WARM_UP, 11)
const run = (i: number) => {
  const c = checks[i]!
  return index.checkAccess(c.principalId, c.action, c.scope, { dataAction: c.isDataAction })
}
for (let i = CHECKS; i < CHECKS + WARM_UP; i++) run(i)
gc()
let timerCost = Number.MAX_VALUE
for (let r = 0; r < 5; r++) {
  const s = process.hrtime.bigint()
  for (let i = 0; i < 100_000; i++) process.hrtime.bigint()
  timerCost = Math.min(timerCost, Number(process.hrtime.bigint() - s) / 100_000)
}
const c1 = cpuMs()
const indexed = timeChecks(world, CHECKS, run)
// CPU time counts only while this process runs, so it stays meaningful on a busy machine where
// preemption lands in the wall-clock percentiles.
const checkCpuUs = ((cpuMs() - c1) * 1000) / CHECKS

// The naive scan, timed on fewer checks; it must agree with the index on every one, and
// domain/rbac/evaluate.ts (the reference rules) is consulted on the first few as well.
function* allAssignments() {
  for (let i = 0; i < ASSIGNMENTS; i++) yield world.assignment(i)
}
const roles = [...BUILT_IN_ROLES, ...world.customRoles]
const scan = createNaiveScan(allAssignments(), roles, world.denies)
const catalog = createRoleCatalog(roles)
let mismatches = 0
const naive = timeChecks(world, NAIVE_CHECKS, (i) => {
  const c = checks[i]!
  const allowed = scan(c.principalId, c.action, c.scope, c.isDataAction)
  if (allowed !== run(i)) mismatches++
  return allowed
})
const grants: RoleAssignmentGrant[] = [...allAssignments()].map((a) => ({ ...a, id: a.name }))
for (let i = 0; i < 5; i++) {
  const c = checks[i]!
  if (evaluate(c, grants, world.denies, catalog).allowed !== run(i)) mismatches++
}
if (mismatches > 0 || sink === 0) {
  console.error(`index and naive scan disagree on ${mismatches} checks`)
  process.exit(1)
}

const us = (ns: number) => (ns / 1000).toFixed(2)
const result = {
  benchmark: 'rbac-check',
  quick,
  node: process.version,
  assignments: ASSIGNMENTS,
  principals: PRINCIPALS,
  scopes: world.scopeCount,
  customRoles: world.customRoles.length,
  denyAssignments: world.denies.length,
  buildMs: Math.round(buildMs),
  buildCpuMs: Math.round(buildCpuMs),
  inputGenerationMs: Math.round(inputMs),
  heapDeltaBytes: heapDelta,
  rssDeltaBytes: rssDelta,
  rssAfterBytes: after.rss,
  bytesPerAssignment: Math.round(heapDelta / ASSIGNMENTS),
  checks: CHECKS,
  allowedShare: indexed.allowed / CHECKS,
  timerOverheadNs: Math.round(timerCost),
  index: {
    p50Us: indexed.p50 / 1000,
    p99Us: indexed.p99 / 1000,
    meanUs: indexed.mean / 1000,
    cpuMeanUs: checkCpuUs,
  },
  naive: {
    checks: NAIVE_CHECKS,
    p50Us: naive.p50 / 1000,
    p99Us: naive.p99 / 1000,
    meanUs: naive.mean / 1000,
  },
  speedupP50: naive.p50 / indexed.p50,
  // Other processes on the machine skew every timing; the 1-minute load average says how much.
  loadAverage: { before: loadBefore, after: loadavg()[0]! },
  actions: CHECK_ACTIONS.length,
}

console.log(`## RBAC checkAccess benchmark${quick ? ' (--quick)' : ''}

${ASSIGNMENTS.toLocaleString('en')} assignments, ${PRINCIPALS.toLocaleString('en')} principals, ${world.scopeCount.toLocaleString('en')} scopes, ${world.customRoles.length} custom + ${BUILT_IN_ROLES.length} built-in roles, ${world.denies.length} deny assignments; Node ${process.version}; load average ${loadBefore.toFixed(1)} → ${result.loadAverage.after.toFixed(1)}

| measure | value |
|---|---|
| index build (input generation excluded) | ${buildMs.toFixed(0)} ms wall, ${buildCpuMs.toFixed(0)} ms CPU (GC threads included) |
| heap + array buffers delta | ${(heapDelta / 2 ** 20).toFixed(1)} MiB (${result.bytesPerAssignment} B/assignment) |
| RSS delta | ${(rssDelta / 2 ** 20).toFixed(1)} MiB |
| index check p50 / p99 (${CHECKS.toLocaleString('en')} checks) | ${us(indexed.p50)} µs / ${us(indexed.p99)} µs |
| index check mean, wall / CPU | ${us(indexed.mean)} µs / ${checkCpuUs.toFixed(2)} µs (timer overhead ${timerCost.toFixed(0)} ns/call included) |
| naive scan over all assignments, p50 / p99 (${NAIVE_CHECKS} checks) | ${us(naive.p50)} µs / ${us(naive.p99)} µs |
| speed-up at p50 | ${result.speedupP50.toFixed(0)}× |
| allowed share | ${(result.allowedShare * 100).toFixed(1)} % |
`)

const out = join(dirname(fileURLToPath(import.meta.url)), '../../bench/results/rbac.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
console.log(JSON.stringify(result))
