// An offline check of the production dependency tree, from package-lock.json alone: `npm audit`
// needs an advisory database this machine cannot reach, so this checks what can be checked
// without one, against the committed policy in scripts/dependency-policy.json:
//   - every production package is on the allow-list (a new one is a reviewed change of policy),
//   - its licence (an SPDX expression: one allowed alternative suffices) is allowed,
//   - it is pinned by a sha512 integrity and, if the lockfile says where from, from the registry,
//   - only allow-listed packages run install scripts,
//   - the tree stays under its size budget.
// With --signatures it also runs `npm audit signatures --omit=dev` (registry signatures and
// provenance of what is installed), reporting an unreachable registry without failing.
// With --write it rewrites the allow-list from the lockfile, for a reviewed dependency change.
//
//   node scripts/check-deps.js [--lockfile F] [--policy F] [--signatures] [--write]
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

function option(name, fallback) {
  const i = process.argv.indexOf(name)
  return i < 0 ? fallback : process.argv[i + 1]
}
const lockfile = option('--lockfile', 'package-lock.json')
const policyFile = option('--policy', 'scripts/dependency-policy.json')
const lock = JSON.parse(readFileSync(lockfile, 'utf8'))
const policy = JSON.parse(readFileSync(policyFile, 'utf8'))

/** Production packages: every lockfile entry but the root and dev-only ones. */
const production = Object.entries(lock.packages ?? {})
  .filter(([path, p]) => path !== '' && !p.dev && !p.devOptional && !p.link)
  .map(([path, p]) => ({
    ...p,
    path,
    name: p.name ?? path.slice(path.lastIndexOf('node_modules/') + 13),
  }))

if (process.argv.includes('--write')) {
  policy.packages = Object.fromEntries(
    [...new Map(production.map((p) => [p.name, p.license ?? 'UNKNOWN']))].sort(([a], [b]) =>
      a.localeCompare(b),
    ),
  )
  writeFileSync(policyFile, JSON.stringify(policy, null, 2) + '\n')
}

const allowedLicenses = new Set(policy.licenses)
const licenseOk = (expression) =>
  typeof expression === 'string' &&
  expression
    .replace(/[()]/g, '')
    .split(/\s+OR\s+/)
    .some((alternative) => allowedLicenses.has(alternative.trim()))

const problems = []
if (lock.lockfileVersion < 2) problems.push(`lockfile version ${lock.lockfileVersion}: need 2 or 3`)
for (const p of production) {
  const where = `${p.path}@${p.version}`
  if (!(p.name in policy.packages)) problems.push(`${where}: not on the allow-list`)
  if (!licenseOk(p.license)) problems.push(`${where}: licence ${p.license ?? 'none'} not allowed`)
  if (!/^sha512-/.test(p.integrity ?? '')) problems.push(`${where}: no sha512 integrity`)
  if (p.resolved && !p.resolved.startsWith(policy.registry))
    problems.push(`${where}: resolved from ${p.resolved}`)
  if (p.hasInstallScript && !policy.installScripts.includes(p.name))
    problems.push(`${where}: runs an install script`)
}
if (production.length > policy.maxPackages) {
  problems.push(`${production.length} production packages: the budget is ${policy.maxPackages}`)
}

console.log(`${production.length} production packages (budget ${policy.maxPackages})`)
if (process.argv.includes('--signatures')) {
  const audit = spawnSync('npm', ['audit', 'signatures', '--omit=dev'], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  const out = `${audit.stdout ?? ''}${audit.stderr ?? ''}`.trim()
  if (audit.error || audit.signal) {
    console.log('registry signatures: not checked (the registry did not answer in time)')
  } else if (audit.status !== 0 && /invalid|missing/i.test(out)) {
    problems.push(`npm audit signatures: ${out.split('\n').slice(-3).join(' ')}`)
  } else {
    console.log(`registry signatures: ${out.split('\n').slice(-2).join(' ') || 'ok'}`)
  }
}
for (const p of problems) console.error(`dependency policy: ${p}`)
process.exit(problems.length ? 1 : 0)
