// Starts the real `keyless up` (bin/keyless.js) in a child process on free ports and reads
// endpoints.json back, as a user or a tool would.
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Endpoints as ServerEndpoints } from '../../src/server/start.js'
import {
  deriveKeyHierarchy,
  type KeyPurpose,
  type PurposeKey,
} from '../../src/common/key-hierarchy.js'

export const ROOT = resolve(import.meta.dirname, '../../..')
export const BIN = join(ROOT, 'bin/keyless.js')

/** endpoints.json as `keyless up` writes it, with any keys added later (e.g. its agent's). */
export interface Endpoints extends ServerEndpoints {
  [k: string]: unknown
}

export interface Admin {
  tenantId: string
  clientId: string
  clientSecret: string
}

export interface KeylessProcess {
  dataDir: string
  endpoints: Endpoints
  admin: Admin
  ca: string
  child: ChildProcess
  output: () => string
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Stops the process and deletes its data directory. */
  dispose(): Promise<void>
}

/** The key that wraps signing keys in `dataDir`'s store, derived from its master.key, for tests
 * that sign as the server would (to prove that a refusal comes from claim checks). */
export function purposeKey(dataDir: string, purpose: KeyPurpose): PurposeKey {
  const master = Buffer.from(readFileSync(join(dataDir, 'master.key'), 'utf8').trim(), 'base64url')
  return deriveKeyHierarchy(master).forPurpose(purpose)
}

export const signingWrapKey = (dataDir: string) => purposeKey(dataDir, 'signing-keys')

/** A fresh data directory, seeded with the test run's CA when there is one (scripts/test.js),
 * so that this process (started with NODE_EXTRA_CA_CERTS) trusts the server. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-test-'))
  const caDir = process.env.KEYLESS_TEST_CA_DIR
  if (caDir) {
    copyFileSync(join(caDir, 'ca.crt'), join(dir, 'ca.crt'))
    copyFileSync(join(caDir, 'ca.key'), join(dir, 'ca.key'))
  }
  return dir
}

export async function startKeyless(
  options: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<KeylessProcess> {
  const dataDir = options.dataDir ?? tempDataDir()
  const endpointsFile = join(dataDir, 'endpoints.json')
  rmSync(endpointsFile, { force: true })
  let out = ''
  const child = spawn(
    process.execPath,
    [
      BIN,
      'up',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--log-level',
      'warn',
      ...(options.args ?? []),
    ],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const deadline = Date.now() + 60_000
  while (!existsSync(endpointsFile)) {
    if (child.exitCode !== null) throw new Error(`keyless up exited early:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`keyless up did not write endpoints.json in time:\n${out}`)
    }
    await sleep(50)
  }
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Endpoints
  const admin = JSON.parse(readFileSync(endpoints.adminCredentialFile, 'utf8')) as Admin
  const ca = readFileSync(endpoints.caCertFile, 'utf8')
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null) child.kill(signal)
    return exited
  }
  return {
    dataDir,
    endpoints,
    admin,
    ca,
    child,
    output: () => out,
    stop,
    async dispose() {
      await stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
