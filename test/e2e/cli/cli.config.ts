// Running the real `bin/keyless.js` as a child process, as a user or a script would: stdin not a
// terminal, no KEYLESS_HOME unless a test sets it, a scratch working directory (so no ./.keyless).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN } from '../../helpers/keyless.js'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  json: () => any
}

const scratch = mkdtempSync(join(tmpdir(), 'keyless-cli-cwd-'))

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const { KEYLESS_HOME: _home, ...inherited } = process.env
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: scratch,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json: () => {
          try {
            return JSON.parse(stdout)
          } catch {
            throw new Error(`not JSON (exit ${code}): ${stdout}\nstderr: ${stderr}`)
          }
        },
      }),
    )
  })
}

/** A runner bound to one installation; JSON output unless the arguments choose otherwise. */
export function cliFor(dataDir: string) {
  return (...args: string[]) => {
    const output = args.includes('-o') || args.includes('--output') ? [] : ['-o', 'json']
    return runCli([...args, '--data-dir', dataDir, ...output])
  }
}

/** What a command printed, for assertion messages. */
export function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`
}

export function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, explain(r))
  return r
}

/** A failure prints nothing on stdout and one message on stderr. */
export function fails(r: CliResult, code: number, stderr: RegExp): void {
  assert.equal(r.code, code, explain(r))
  assert.match(r.stderr, stderr)
  assert.equal(r.stdout, '')
}
