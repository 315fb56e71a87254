// Shared setup for the Blob tests: a real `keyless up` and the Blob endpoint it serves (its
// endpoints.json `blobEndpoint`), ARM helpers to create storage accounts, virtual machines with
// system identities and role assignments, and `keyless run --as <vm>` to run the SDK client
// fixture as that machine.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { BIN, startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { arm as armAs, assignRole, unassignRole } from '../../helpers/arm.js'
import type { HttpResult } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'

export const ROLES = {
  owner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  contributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  reader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
} as const

const FIXTURES = resolve(import.meta.dirname, 'fixtures')
export const CLIENT = join(FIXTURES, 'blob-client.js')

export interface OpResult {
  op: string
  ok: boolean
  value?: any
  status?: number
  code?: string
  message?: string
}

/** Child processes trust the CA of the instance they talk to. (The run's shared CA file can be
 * replaced by a concurrent test run; the data directory keeps the one its server uses.) */
function trustInstance(dataDir: string): NodeJS.ProcessEnv {
  return { NODE_EXTRA_CA_CERTS: join(dataDir, 'ca.crt') }
}

export interface BlobEnv {
  k: KeylessProcess
  /** The Blob endpoint of `keyless up`, from endpoints.json. */
  blobEndpoint: string
  subscriptionId: string
  operatorToken: string
  arm(method: string, path: string, body?: unknown): Promise<HttpResult>
  group: string
  accountUrl(account: string): string
  createAccount(name?: string): Promise<{ name: string; id: string }>
  createVm(name?: string): Promise<{ id: string; principalId: string }>
  /** Assigns `role` through ARM; returns the assignment's ARM id. */
  assign(principalId: string, role: string, scope: string): Promise<string>
  /** Deletes the assignment through ARM. */
  unassign(assignmentId: string): Promise<void>
  /** Runs the SDK client fixture as `vm` under `keyless run`. */
  run(vm: string, account: string, ops: object[]): Promise<OpResult[]>
  /** A storage token of `vm`'s identity, from the agent as the SDK gets it. */
  token(vm: string, scope?: string): Promise<string>
  dispose(): Promise<void>
}

/** Runs `node <args>` (or `program <args>`) as `vm` under `keyless run`, in its own process
 * group (`-pid` kills it with the program it started). */
export function runAs(
  k: KeylessProcess,
  vm: string,
  args: readonly string[],
  onLine?: (line: string) => void,
  program: string = process.execPath,
): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(
    process.execPath,
    [BIN, 'run', '--as', vm, '--data-dir', k.dataDir, '--', program, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...trustInstance(k.dataDir) },
      detached: true,
    },
  )
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString()
    partial += c.toString()
    const lines = partial.split('\n')
    partial = lines.pop() as string
    for (const line of lines) onLine?.(line)
  })
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
    child.on('close', (code) => r({ code, stdout, stderr })),
  )
  return { child, done }
}

const API: Record<string, string> = {
  resourcegroups: '2025-04-01',
  'microsoft.compute': '2024-07-01',
  'microsoft.storage': '2023-05-01',
  'microsoft.authorization': '2022-04-01',
}

function apiVersion(path: string): string {
  const providers = [...path.matchAll(/\/providers\/([^/]+)/gi)]
  const ns = providers.length ? providers[providers.length - 1]![1]!.toLowerCase() : ''
  return API[ns] ?? API.resourcegroups!
}

/** The Blob endpoint `keyless up` publishes in endpoints.json. */
export function blobEndpointOf(k: KeylessProcess): string {
  const endpoint = k.endpoints.blobEndpoint
  if (typeof endpoint !== 'string') throw new Error('endpoints.json names no blobEndpoint')
  return endpoint
}

export async function startBlobEnv(): Promise<BlobEnv> {
  const k = await startKeyless()
  try {
    return await setUp(k)
  } catch (error) {
    await k.dispose()
    throw error
  }
}

async function setUp(k: KeylessProcess): Promise<BlobEnv> {
  const blobEndpoint = blobEndpointOf(k)
  const token = await operatorToken(k)
  const subscriptionId = k.endpoints.subscriptionId
  const group = `/subscriptions/${subscriptionId}/resourceGroups/blob-${randomBytes(3).toString('hex')}`
  const operator = armAs(k, token)
  const arm = (method: string, path: string, body?: unknown) =>
    operator(method, `${path}?api-version=${apiVersion(path)}`, body)
  const created = await arm('PUT', group, { location: 'eastus' })
  if (created.status >= 300) throw new Error(`resource group: ${created.status} ${created.text}`)

  const env: BlobEnv = {
    k,
    blobEndpoint,
    subscriptionId,
    operatorToken: token,
    arm,
    group,
    accountUrl: (account) => `${blobEndpoint}/${account}`,
    async createAccount(name = `acct${randomBytes(5).toString('hex')}`) {
      const id = `${group}/providers/Microsoft.Storage/storageAccounts/${name}`
      const res = await arm('PUT', id, {
        location: 'eastus',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
      })
      if (res.status >= 300) throw new Error(`storage account: ${res.status} ${res.text}`)
      return { name, id }
    },
    async createVm(name = `vm-${randomBytes(3).toString('hex')}`) {
      const id = `${group}/providers/Microsoft.Compute/virtualMachines/${name}`
      const res = await arm('PUT', id, { location: 'eastus', identity: { type: 'SystemAssigned' } })
      if (res.status >= 300) throw new Error(`vm: ${res.status} ${res.text}`)
      return { id, principalId: res.json().identity.principalId }
    },
    assign: (principalId, role, scope) =>
      assignRole(operator, subscriptionId, { scope, role, principalId }),
    unassign: (id) => unassignRole(operator, id),
    async run(vm, account, ops) {
      const { done } = runAs(k, vm, [CLIENT, env.accountUrl(account), JSON.stringify(ops)])
      const r = await done
      const last = r.stdout.trim().split('\n').pop() ?? ''
      try {
        return JSON.parse(last).results as OpResult[]
      } catch {
        throw new Error(`client failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
      }
    },
    async token(vm, scope) {
      const [r] = await env.run(vm, 'unused', [{ op: 'token', scope }])
      if (!r?.ok) throw new Error(`token: ${JSON.stringify(r)}`)
      return r.value as string
    },
    async dispose() {
      await k.dispose()
    },
  }
  return env
}

/** Asserts each result, naming the operation and showing the whole result on failure. */
export function expectOk(results: OpResult[]): void {
  for (const r of results) {
    if (!r.ok) throw new Error(`${r.op} failed: ${JSON.stringify(r)}`)
  }
}
