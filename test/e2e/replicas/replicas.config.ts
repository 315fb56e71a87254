// Replicas of `keyless server` for the tests: real processes (bin/keyless.js) on a schema of the
// test PostgreSQL, each on a free port, read back from the JSON line a replica prints when
// ready. Every process a test starts is killed when the test file ends, even on failure.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import {
  clusterArgs,
  replicaReady,
  spawnReplica as spawnProcess,
  type ReplicaArgs,
  type ReplicaProcess,
} from '../../helpers/replica-process.js'
import { BIN } from '../../helpers/keyless.js'
import { deriveKeyHierarchy } from '../../../src/common/key-hierarchy.js'
import { openPostgresStore } from '../../../src/store/postgres.js'
import { CLUSTER_ROWS, sealedRows } from '../../../src/server/cluster-state.js'

export type { ReplicaProcess }

/** A replica's arguments; a scratch data directory unless one is given. */
export type Args = Omit<ReplicaArgs, 'dataDir'> & { dataDir?: string }

const started = new Set<ChildProcess>()
const dirs: string[] = []
after(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-replicas-'))
  dirs.push(dir)
  return dir
}

/** A fresh master key in a file of its own. */
export function masterKeyFile(dir = scratchDir()): string {
  const file = join(dir, `master-${randomBytes(3).toString('hex')}.key`)
  writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 })
  return file
}

/** Starts one replica; resolves when it is ready, rejects with its output if it exits first. */
export function startReplicaProcess(a: Args): Promise<ReplicaProcess> {
  return replicaReady(spawnReplica(a))
}

/** `keyless server credentials`: a directory with ca.crt, admin.json and endpoints.json. */
export async function credentials(a: Omit<Args, 'listen' | 'dataDir'>): Promise<string> {
  const dir = scratchDir()
  const child = spawn(
    process.execPath,
    [BIN, 'server', 'credentials', ...clusterArgs(a), '--out-dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  started.add(child)
  let out = ''
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
  if (code !== 0) throw new Error(`keyless server credentials exited ${code}:\n${out}`)
  return dir
}

/** The replica's process, for tests that expect it to refuse to start. */
export function spawnReplica(a: Args): ChildProcess {
  const child = spawnProcess({ ...a, dataDir: a.dataDir ?? scratchDir() })
  started.add(child)
  return child
}

/**
 * Puts the test run's CA (scripts/test.js) into an empty schema as the cluster's CA, the way an
 * operator may bring their own, so that in-process Azure SDK clients (NODE_EXTRA_CA_CERTS)
 * trust the replicas. Undefined outside scripts/test.js.
 */
export async function seedTestCa(url: string, schema: string, keyFile: string): Promise<void> {
  const caDir = process.env.KEYLESS_TEST_CA_DIR
  if (!caDir) return
  const keys = deriveKeyHierarchy(Buffer.from(readFileSync(keyFile, 'utf8'), 'base64url'))
  const store = await openPostgresStore(url, { schema })
  try {
    await store.transaction((tx) =>
      sealedRows(tx, keys, Date.now()).save(CLUSTER_ROWS.ca, {
        certPem: readFileSync(join(caDir, 'ca.crt'), 'utf8'),
        keyPem: readFileSync(join(caDir, 'ca.key'), 'utf8'),
      }),
    )
  } finally {
    await store.close()
  }
}
