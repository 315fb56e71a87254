// One `keyless server` replica as a real process (bin/keyless.js), read back from the JSON line
// it prints when ready. Used by the replica tests, the cluster test and the bench; whoever
// calls it kills what it started (the tests on `after`, the bench through bench/lib/children).
import { spawn, type ChildProcess } from 'node:child_process'
import type { ReplicaEndpoints } from '../../src/server/start-replica.js'
import { BIN } from './keyless.js'

export interface ReplicaProcess {
  endpoints: ReplicaEndpoints
  child: ChildProcess
  output: () => string
  /** SIGTERM (a clean stop), or any signal; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface ReplicaArgs {
  url: string
  schema: string
  keyFile: string
  publicUrl: string
  dataDir: string
  /** host:port, default 127.0.0.1:0. */
  listen?: string
  /** Added to this process's environment (e.g. a clock offset, test/e2e/fleet). */
  env?: NodeJS.ProcessEnv
}

/** The flags every `keyless server` command takes to reach the cluster's database. */
export function clusterArgs(a: Pick<ReplicaArgs, 'url' | 'schema' | 'keyFile' | 'publicUrl'>) {
  return [
    '--database-url',
    a.url,
    '--database-schema',
    a.schema,
    '--master-key-file',
    a.keyFile,
    '--public-url',
    a.publicUrl,
  ]
}

export function spawnReplica(a: ReplicaArgs): ChildProcess {
  return spawn(
    process.execPath,
    [
      BIN,
      'server',
      ...clusterArgs(a),
      '--listen',
      a.listen ?? '127.0.0.1:0',
      '--data-dir',
      a.dataDir,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...a.env } },
  )
}

/** Resolves when the replica `child` is ready; rejects with its output if it exits first. */
export async function replicaReady(child: ChildProcess): Promise<ReplicaProcess> {
  let out = ''
  let line: ReplicaEndpoints | undefined
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const ready = new Promise<ReplicaEndpoints>((resolve, reject) => {
    let pending = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      pending += c.toString()
      const nl = pending.indexOf('\n')
      if (nl >= 0 && line === undefined) {
        line = JSON.parse(pending.slice(0, nl)) as ReplicaEndpoints
        resolve(line)
      }
    })
    void exited.then((code) => reject(new Error(`replica exited ${code} early:\n${out}`)))
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const endpoints = await ready.finally(() => clearTimeout(timer))
  return {
    endpoints,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
