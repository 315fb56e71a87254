// Shared setup for the examples' tests: the example's files, a `keyless up` whose endpoints.json
// names its agent, ARM calls with the operator's token, and programs started the way a user starts
// them (`keyless run --as …`), with their output read line by line.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BIN, ROOT, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import type { HttpResult } from '../../helpers/https.js'

export const EXAMPLE = join(ROOT, 'examples/orders')
export const APP = join(EXAMPLE, 'app.mjs')
export const SERVICE = join(EXAMPLE, 'service.mjs')
export const WORKER = join(EXAMPLE, 'worker.mjs')
export const WALKTHROUGH = join(EXAMPLE, 'walkthrough.sh')

export const ROLES = {
  secretsOfficer: 'Key Vault Secrets Officer',
  blobContributor: 'Storage Blob Data Contributor',
  queueSender: 'Storage Queue Data Message Sender',
  queueProcessor: 'Storage Queue Data Message Processor',
  reader: 'Reader',
} as const

/** What a program sees: the test run's environment without anything that would give it an
 * identity or trust that `keyless run` did not give it. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of [
    'NODE_EXTRA_CA_CERTS',
    'IDENTITY_ENDPOINT',
    'IDENTITY_HEADER',
    'MSI_ENDPOINT',
    'MSI_SECRET',
    'IMDS_ENDPOINT',
    'AZURE_CLIENT_ID',
    'AZURE_CLIENT_SECRET',
    'AZURE_TENANT_ID',
    'AZURE_FEDERATED_TOKEN_FILE',
    'AZURE_POD_IDENTITY_AUTHORITY_HOST',
    'KEYLESS_HOME',
  ]) {
    delete env[k]
  }
  return { ...env, ...extra }
}

/** endpoints.json once `keyless up` has added its local agent (a `keyless run` needs it). */
export async function agentEndpoints(k: KeylessProcess): Promise<Record<string, string>> {
  const file = join(k.dataDir, 'endpoints.json')
  const deadline = Date.now() + 30_000
  for (;;) {
    const e = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
    if (e.agentSocket) return e
    if (Date.now() > deadline) throw new Error(`no agentSocket in endpoints.json:\n${k.output()}`)
    await sleep(50)
  }
}

/** ARM REST as the operator; throws on a status outside 2xx. */
export function armClient(k: KeylessProcess, token: string) {
  const call = arm(k, token)
  return async (method: string, path: string, body?: unknown): Promise<HttpResult> => {
    const res = await call(method, path, body)
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
    return res
  }
}

/** A child process whose stdout lines are collected, with a way to wait for one. */
export interface Program {
  child: ChildProcess
  lines: { at: number; text: string }[]
  output(): string
  /** The first line (after `from`) that `match` accepts, with the time it arrived. */
  waitFor(
    match: (line: string) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<{ at: number; text: string }>
  exited: Promise<number | null>
  stop(): Promise<number | null>
}

/** Starts `keyless <args>` (the real binary) in its own process group. */
export function startProgram(args: readonly string[], env: NodeJS.ProcessEnv): Program {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: { at: number; text: string }[] = []
  let all = ''
  let partial = ''
  child.stdout!.on('data', (c: Buffer) => {
    all += c.toString()
    partial += c.toString()
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const text of parts) lines.push({ at: Date.now(), text })
  })
  child.stderr!.on('data', (c: Buffer) => (all += c.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return {
    child,
    lines,
    output: () => all,
    async waitFor(match, timeoutMs = 30_000, from = 0) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = lines.slice(from).find((l) => match(l.text))
        if (found) return found
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no matching line (exit ${child.exitCode}):\n${all}`)
        }
        await sleep(10)
      }
    },
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/** One line of app.mjs, parsed; undefined for other lines. */
export interface StepResult {
  ok: boolean
  status?: number
  code?: string
  message?: string
  [k: string]: unknown
}
export interface Pass {
  ok: boolean
  vault: StepResult
  blob: StepResult
  queue: StepResult
  service: StepResult
}

export function parsePass(line: string): Pass | undefined {
  if (!line.startsWith('{"ok":')) return undefined
  return JSON.parse(line) as Pass
}

/** An order worker.mjs took, from one of its lines; undefined for other lines. */
export interface Taken {
  id: string
  item: string
  quantity: number
  dequeueCount: number
}

export function parseTaken(line: string): Taken | undefined {
  if (!line.startsWith('{"taken":')) return undefined
  return (JSON.parse(line) as { taken: Taken }).taken
}

/** The variables `keyless env` prints (`export K='v'` lines). */
export function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/^export (\w+)='((?:[^']|'\\'')*)'$/gm)) {
    out[m[1]!] = m[2]!.replace(/'\\''/g, "'")
  }
  return out
}
