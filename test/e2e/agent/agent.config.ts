// Shared setup for the agent tests: a real `keyless up`, the operator's management API, join
// tokens, `keyless agent` as a separate process (as on another host), `keyless run` as a user
// would type it, and token verification against the published JWKS.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { BIN, ROOT, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { https } from '../../helpers/https.js'

export const VM_API = '2024-07-01'
export const MI_API = '2024-11-30'
export const RG_API = '2025-04-01'
export const VAULT = 'https://vault.azure.net'
export const MI_TOKENS = join(ROOT, 'test/fixtures/mi-tokens.mjs')
/** The IMDS token path. */
export const TOKEN_PATH = '/metadata/identity/oauth2/token'

export interface Identity {
  id: string
  principalId: string
  clientId: string
}

/** The management API as the operator. */
export function management(k: KeylessProcess, token: string) {
  const call = arm(k, token)
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body)
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
    return res.text ? res.json() : undefined
  }
  const group = (name: string) =>
    `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/${name}`
  return {
    call,
    group,
    async createGroup(name: string) {
      await ok('PUT', `${group(name)}?api-version=${RG_API}`, { location: 'eastus' })
      return group(name)
    },
    async createIdentity(rg: string, name: string): Promise<Identity> {
      const id = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`
      const body = await ok('PUT', `${id}?api-version=${MI_API}`, { location: 'eastus' })
      return {
        id: body.id,
        principalId: body.properties.principalId,
        clientId: body.properties.clientId,
      }
    },
    /** A VM placed on `hostId` (none: the agent of `keyless up`) with the given identities. */
    async putVm(
      rg: string,
      name: string,
      o: { hostId?: string; system?: boolean; user?: string[] },
    ) {
      const id = `${rg}/providers/Microsoft.Compute/virtualMachines/${name}`
      const user = o.user ?? []
      const type =
        [o.system ? 'SystemAssigned' : '', user.length ? 'UserAssigned' : '']
          .filter(Boolean)
          .join(', ') || 'None'
      const body = await ok('PUT', `${id}?api-version=${VM_API}`, {
        location: 'eastus',
        ...(o.hostId ? { properties: { hostId: o.hostId } } : {}),
        identity: {
          type,
          ...(user.length
            ? { userAssignedIdentities: Object.fromEntries(user.map((u) => [u, {}])) }
            : {}),
        },
      })
      return {
        id: body.id as string,
        principalId: body.identity?.principalId as string | undefined,
      }
    },
    async delete(path: string, apiVersion: string) {
      const res = await call('DELETE', `${path}?api-version=${apiVersion}`)
      if (res.status >= 300) throw new Error(`DELETE ${path}: ${res.status} ${res.text}`)
    },
    async joinToken(): Promise<string> {
      return (await ok('POST', '/keyless/v1/joinTokens')).token
    },
    async revokeHost(hostId: string) {
      return ok('POST', `/keyless/v1/hosts/${hostId}/revoke`)
    },
  }
}

export type Management = ReturnType<typeof management>

export interface AgentProcess {
  stateDir: string
  hostId: string
  identityEndpoint: string
  controlSocket: string
  child: ChildProcess
  output: () => string
  stop(): Promise<void>
}

/** `keyless agent` in its own process, as on another host. */
export async function startAgentProcess(
  k: KeylessProcess,
  o: { joinToken?: string; stateDir?: string; server?: string; args?: string[] } = {},
): Promise<AgentProcess> {
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), 'keyless-agent-'))
  let out = ''
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--server',
      o.server ?? k.endpoints.authorityHost,
      '--ca-file',
      k.endpoints.caCertFile,
      '--state-dir',
      stateDir,
      '--log-level',
      'warn',
      ...(o.joinToken ? ['--join-token', o.joinToken] : []),
      ...(o.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const deadline = Date.now() + 30_000
  while (!/controlSocket\s+\S+/.test(out)) {
    if (child.exitCode !== null) throw new Error(`keyless agent exited early:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`keyless agent did not start in time:\n${out}`)
    }
    await sleep(50)
  }
  const field = (name: string) => new RegExp(`${name}\\s+(\\S+)`).exec(out)![1]!
  return {
    stateDir,
    hostId: field('hostId'),
    identityEndpoint: field('identityEndpoint'),
    controlSocket: field('controlSocket'),
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** `keyless <args>` to completion. */
export function keyless(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

export type SdkCase = {
  sdk: 'mic' | 'dac' | 'msal'
  id?: { clientId?: string; objectId?: string; resourceId?: string }
}

/** Runs the SDK fixture through `keyless run` and returns each case's token or error. */
export async function sdkTokens(
  runArgs: string[],
  cases: SdkCase[],
  resource = VAULT,
): Promise<(SdkCase & { token?: string; error?: string })[]> {
  // The fixture's process gets only what `keyless run` gives it: no test CA from the runner.
  const env = {
    NODE_EXTRA_CA_CERTS: '',
    AZURE_CLIENT_ID: '',
    IDENTITY_ENDPOINT: '',
    IDENTITY_HEADER: '',
  }
  const r = await keyless(
    ['run', ...runArgs, '--', process.execPath, MI_TOKENS, JSON.stringify({ resource, cases })],
    env,
  )
  if (r.code !== 0) throw new Error(`keyless run exited ${r.code}:\n${r.stderr}\n${r.stdout}`)
  return JSON.parse(r.stdout)
}

export async function verifyToken(
  k: KeylessProcess,
  token: string,
  audience = VAULT,
): Promise<JWTPayload> {
  const jwks = (await https(k.endpoints.jwksUri, { ca: k.ca })).json()
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: k.endpoints.issuer,
    audience,
  })
  return payload
}

/** Polls `check` every `everyMs` until it holds, failing after `ms`; returns how long it took. */
export async function eventually(
  ms: number,
  check: () => boolean | Promise<boolean>,
  everyMs = 10,
): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > ms) assert.fail(`not within ${ms} ms`)
    await sleep(everyMs)
  }
  return Date.now() - started
}

/** `xms_mirid` as Entra writes it: `resourcegroups` in lower case. */
export const mirid = (id: string) => id.replace(/\/resourceGroups\//i, '/resourcegroups/')

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
