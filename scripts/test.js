// Runs every compiled *.test.js under dist/ with node's test runner. Node 20's runner takes
// files, not globs, so the list is gathered here. Pass a substring to run a subset:
// `npm test -- store` runs the files whose path contains "store".
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { createCertificateAuthority, installationNameScope } from '../dist/src/common/pki.js'

const filters = process.argv.slice(2)
const files = readdirSync('dist', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .map((f) => join('dist', f))
  .sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// One CA for the whole run, trusted by every test process through NODE_EXTRA_CA_CERTS (read
// only at process start). Tests seed it into the data directories they start Keyless on, and
// `keyless up` reuses a CA it finds there, so in-process Azure SDK clients trust Keyless the way
// a user's program does.
// One directory per run, so two runs at once never swap each other's CA.
const caDir = resolve('dist/test-ca', String(process.pid))
mkdirSync(caDir, { recursive: true })
// Constrained like an installation's own CA; `keyless.test` covers the tests' vault host names.
const ca = await createCertificateAuthority('Keyless Test CA', {
  now: Date.now(),
  validityDays: 2,
  permitted: installationNameScope({ dnsNames: ['keyless.test'], ipAddresses: [] }),
})
writeFileSync(join(caDir, 'ca.crt'), ca.certPem)
writeFileSync(join(caDir, 'ca.key'), ca.keyPem, { mode: 0o600 })
process.env.NODE_EXTRA_CA_CERTS = join(caDir, 'ca.crt')
process.env.KEYLESS_TEST_CA_DIR = caDir

const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    // The full fault trials (scripts/fault-trials.sh) run far longer than any CI test. Per file:
    // on a loaded machine the longest walkthroughs took over 3 min, and the protocol matrix
    // (42 stock-client runs, az among them) 4.5 min.
    `--test-timeout=${process.env.KEYLESS_TEST_TIMEOUT_MS ?? 600000}`,
    ...files,
  ],
  { stdio: 'inherit' },
)
// A test file cancelled at its timeout does not run its `after` hooks, so the servers, agents
// and issuers it started would outlive the run. Every process a test starts inherits this run's
// KEYLESS_TEST_CA_DIR, which is how they are found and stopped here.
const strays = strayProcesses(`KEYLESS_TEST_CA_DIR=${caDir}`)
for (const { pid, cmdline } of strays) {
  console.error(`test run: stopping a process a test left running: ${pid} ${cmdline}`)
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
process.exit(result.status ?? 1)

function strayProcesses(marker) {
  const out = []
  let entries = []
  try {
    entries = readdirSync('/proc', { withFileTypes: true })
  } catch {
    return out // no /proc (not Linux)
  }
  for (const entry of entries) {
    const pid = Number(entry.name)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
      if (!environ.includes(marker)) continue
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
      out.push({ pid, cmdline })
    } catch {
      // exited meanwhile, or not ours to read (not Linux: nothing to find)
    }
  }
  return out
}
