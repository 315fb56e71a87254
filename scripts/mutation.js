// Mutation testing of the security-critical modules with StrykerJS (docs/mutation.md).
//
//   npm run mutation -- rbac            one module (rbac, authz, sts, agent, verify, dataplane)
//   npm run mutation -- rbac authz      several, one after the other (never at once: 2 cores)
//   npm run mutation -- --list          the modules and what each mutates
//
// Tests run from dist/, so Stryker mutates the TypeScript sources in its sandbox
// (.stryker-tmp/), compiles the sandbox with tsc (`buildCommand`), and runs the compiled test
// files there with the tap runner (`node <file>`: node:test prints TAP when not on a TTY). The
// TypeScript checker drops mutants that do not compile before any test runs. Coverage is per
// test file, so each mutant runs only the files that reach it. Runs are incremental: results of
// unchanged code and tests are reused from reports/mutation/<module>.incremental.json.
//
// Environment: MUTATION_CONCURRENCY (default 2: the machine's two cores), and whatever the
// tests read (KEYLESS_TEST_POSTGRES_URL for the PostgreSQL halves of contract suites).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stryker } from '@stryker-mutator/core'
import { createCertificateAuthority, installationNameScope } from '../dist/src/common/pki.js'

const NOT_TESTS = ['!src/**/*.test.ts', '!src/**/test-*.ts', '!src/**/contract/**']

/** What each module mutates, and the compiled test files that may cover it. */
export const MODULES = {
  rbac: {
    // Only its own unit tests: the index's (src/authz) would cover scope-path.ts better but
    // make each mutant several seconds slower (docs/mutation.md).
    mutate: ['src/domain/rbac/**/*.ts'],
    tests: ['dist/src/domain/rbac/*.test.js'],
  },
  authz: {
    mutate: ['src/authz/**/*.ts'],
    tests: ['dist/src/authz/**/*.test.js'],
  },
  sts: {
    mutate: ['src/sts/**/*.ts'],
    tests: ['dist/src/sts/*.test.js'],
  },
  agent: {
    mutate: ['identity-request', 'identity-headers', 'token-endpoint', 'arc-challenges'].map(
      (f) => `src/agent/${f}.ts`,
    ),
    tests: ['dist/src/agent/*.test.js'],
  },
  verify: {
    mutate: ['src/verify/**/*.ts'],
    tests: ['dist/src/verify/*.test.js'],
  },
  dataplane: {
    mutate: ['src/dataplane/vault/authorize.ts', 'src/dataplane/blob/authorize.ts'],
    tests: ['dist/src/dataplane/**/*.test.js'],
  },
}

const args = process.argv.slice(2)
if (args.includes('--list') || args.length === 0) {
  for (const [name, m] of Object.entries(MODULES)) console.log(`${name}: ${m.mutate.join(' ')}`)
  process.exit(args.length === 0 ? 1 : 0)
}
const unknown = args.filter((a) => !(a in MODULES))
if (unknown.length > 0) {
  console.error(`unknown module(s): ${unknown.join(', ')}; see --list`)
  process.exit(1)
}

// The tests' CA, as scripts/test.js makes it: read from the environment by every test process.
const caDir = mkdtempSync(join(tmpdir(), 'keyless-mutation-ca-'))
const ca = await createCertificateAuthority('Keyless Test CA', {
  now: Date.now(),
  validityDays: 2,
  permitted: installationNameScope({ dnsNames: ['keyless.test'], ipAddresses: [] }),
})
writeFileSync(join(caDir, 'ca.crt'), ca.certPem)
writeFileSync(join(caDir, 'ca.key'), ca.keyPem, { mode: 0o600 })
process.env.NODE_EXTRA_CA_CERTS = join(caDir, 'ca.crt')
process.env.KEYLESS_TEST_CA_DIR = caDir

try {
  for (const name of args) {
    const m = MODULES[name]
    const report = `reports/mutation/${name}`
    const results = await new Stryker({
      mutate: [...m.mutate, ...NOT_TESTS],
      testRunner: 'tap',
      tap: { testFiles: m.tests, nodeArgs: ['--test-reporter=tap'], forceBail: true },
      plugins: ['@stryker-mutator/tap-runner', '@stryker-mutator/typescript-checker'],
      checkers: ['typescript'],
      // Only src/: the sandbox build and each mutant's type check skip test/ and bench/.
      tsconfigFile: 'tsconfig.mutation.json',
      typescriptChecker: { prioritizePerformanceOverAccuracy: true },
      buildCommand: 'npx tsc -p tsconfig.mutation.json',
      coverageAnalysis: 'perTest',
      // Static mutants (module-level constants) would need every test file run, fresh, each.
      ignoreStatic: true,
      concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
      incremental: true,
      incrementalFile: `${report}.incremental.json`,
      ignorePatterns: ['dist', 'reports', '.keyless', '.stryker-tmp', 'bench/results'],
      timeoutMS: 20_000,
      reporters: ['clear-text', 'progress', 'json'],
      jsonReporter: { fileName: `${report}.json` },
      clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
      tempDirName: '.stryker-tmp',
      thresholds: { high: 90, low: 80, break: null },
    }).runMutationTest()
    const killed = results.filter((r) => r.status === 'Killed' || r.status === 'Timeout').length
    const valid = results.filter(
      (r) => !['CompileError', 'RuntimeError', 'Ignored'].includes(r.status),
    )
    const score = valid.length === 0 ? 100 : (100 * killed) / valid.length
    console.log(`mutation ${name}: ${score.toFixed(1)} % (${killed} of ${valid.length} killed)`)
  }
} finally {
  rmSync(caDir, { recursive: true, force: true })
}
