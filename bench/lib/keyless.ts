// Starts `keyless up` as users do (bin/keyless.js in a child process, on the server core, free
// ports, a throwaway data directory) and talks to it over HTTPS with a keep-alive agent.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { track } from './children.js'
import { pinned, SERVER_CORE } from './cpu.js'
import type { Endpoints as ServerEndpoints } from '../../src/server/start.js'
import { tokenEndpointPath } from '../../src/common/agent-protocol.js'

export const ROOT = resolve(import.meta.dirname, '../../..')
export const BIN = join(ROOT, 'bin/keyless.js')

/** endpoints.json as `keyless up` writes it, with the keys its agent adds. */
export interface Endpoints extends ServerEndpoints {
  identityEndpoint?: string
  agentSocket?: string
  [k: string]: unknown
}

export interface Keyless {
  pid: number
  dataDir: string
  endpoints: Endpoints
  admin: { tenantId: string; clientId: string; clientSecret: string }
  ca: string
  child: ChildProcess
  output(): string
  /** Stops the process and deletes its data directory. */
  dispose(): Promise<void>
}

/** Spawns a command and waits for a file it writes; kills it when it does not appear in time. */
export async function spawnUntilFile(
  command: string,
  args: string[],
  file: string,
  options: { env?: NodeJS.ProcessEnv; core?: number; timeoutMs?: number } = {},
) {
  rmSync(file, { force: true })
  const [cmd, argv] =
    options.core === undefined ? [command, args] : pinned(options.core, command, args)
  const child = track(
    spawn(cmd, argv, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  let out = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  while (!existsSync(file)) {
    if (child.exitCode !== null) throw new Error(`${args[1] ?? command} exited early:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${args[1] ?? command} did not write ${file} in time:\n${out}`)
    }
    await sleep(25)
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(t)
    }
  }
  return { child, output: () => out, stop }
}

/** Node flags for every Keyless process the benchmark starts (`--profile` adds --cpu-prof). */
export const serverNodeFlags: string[] = []

export async function startKeyless(
  options: { args?: string[]; env?: NodeJS.ProcessEnv; pin?: boolean } = {},
): Promise<Keyless> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyless-bench-'))
  const endpointsFile = join(dataDir, 'endpoints.json')
  const args = [
    ...serverNodeFlags,
    BIN,
    'up',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--log-level',
    'error',
  ]
  let proc
  try {
    proc = await spawnUntilFile(
      process.execPath,
      [...args, ...(options.args ?? [])],
      endpointsFile,
      {
        env: options.env,
        core: options.pin === false ? undefined : SERVER_CORE,
      },
    )
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true })
    throw e
  }
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Endpoints
  return {
    pid: proc.child.pid!,
    dataDir,
    endpoints,
    admin: JSON.parse(readFileSync(endpoints.adminCredentialFile, 'utf8')),
    ca: readFileSync(endpoints.caCertFile, 'utf8'),
    child: proc.child,
    output: proc.output,
    async dispose() {
      await proc.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface Reply {
  status: number
  text: string
  json(): any
}

/** HTTPS over a keep-alive agent that trusts the Keyless CA, for setting up a benchmark. */
export function client(k: Pick<Keyless, 'ca'>) {
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: k.ca })
  const send = (
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) })
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      if (body !== undefined) req.write(body)
      req.end()
    })
  return { send, close: () => agent.destroy() }
}

export type Client = ReturnType<typeof client>

/** A token for the operator (the admin credential), by client secret. */
export async function operatorToken(k: Keyless, c: Client, scope?: string): Promise<string> {
  const res = await c.send(
    'POST',
    `${k.endpoints.authorityHost}${tokenEndpointPath(k.endpoints.tenantId)}`,
    { 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: k.admin.clientId,
      client_secret: k.admin.clientSecret,
      scope: scope ?? `${k.endpoints.managementEndpoint}/.default`,
    }).toString(),
  )
  if (res.status !== 200) throw new Error(`operator token: ${res.status} ${res.text}`)
  return res.json().access_token as string
}

/** `n` distinct operator tokens for `scope`, minted by the token endpoint over 8 connections. */
export async function operatorTokens(
  k: Keyless,
  c: Client,
  n: number,
  scope: string,
): Promise<string[]> {
  const url = `${k.endpoints.authorityHost}${tokenEndpointPath(k.endpoints.tenantId)}`
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: k.admin.clientId,
    client_secret: k.admin.clientSecret,
    scope,
  }).toString()
  const tokens: string[] = []
  const worker = async () => {
    while (tokens.length < n) {
      const res = await c.send(
        'POST',
        url,
        { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      )
      if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`)
      tokens.push(res.json().access_token)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return tokens.slice(0, n)
}

/** ARM calls as the operator: `arm('PUT', path, body)`, throwing on an unexpected status. */
export function armClient(k: Keyless, c: Client, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const res = await c.send(
      method,
      `${k.endpoints.managementEndpoint}${path}`,
      {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body === undefined ? undefined : JSON.stringify(body),
    )
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
    return res
  }
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** CPU time a process has used so far (user + system), in ms (Linux /proc; 10 ms ticks). */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}
