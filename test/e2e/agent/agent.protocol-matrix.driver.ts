// The inside of agent.protocol-matrix.test.ts: run in a network namespace of its own with only
// loopback (`unshare -n`), so that `az` can reach nothing but this Keyless. It starts `keyless
// up`, a VM with a system-assigned and a user-assigned identity (Reader on the subscription, so
// `az login --identity` finds it), runs every row of the matrix through `keyless run`, and
// prints {issuer, jwks, vm, uami, subscriptionId, results} as one JSON line.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, ROOT, startKeyless } from '../../helpers/keyless.js'
import { assignRole } from '../../helpers/arm.js'
import { https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import { management, MI_TOKENS } from './agent.config.js'

export interface Row {
  client: 'msal' | 'mic' | 'dac' | 'python' | 'az'
  protocol: 'imds' | 'appservice' | 'appservice2017' | 'arc' | 'servicefabric'
  identity: 'system' | 'user'
}

export interface RowResult extends Row {
  token?: string
  error?: string
  /** az only: the subscriptions `az login --identity` found. */
  subscriptions?: string[]
}

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
const PY_TOKENS = join(ROOT, 'test/fixtures/mi-tokens.py')
export const MATRIX_RESOURCE = 'https://vault.azure.net'
/** az's resource: the cloud's active_directory_resource_id. */
export const AZ_RESOURCE = 'https://management.core.windows.net/'

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.once('error', (e) => resolve({ code: 127, stdout, stderr: String(e) }))
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** `keyless run` for the row's protocol; App Service 2017 is App Service without the 2019 pair. */
function runArgs(dataDir: string, vm: string, row: Row): string[] {
  const protocol = row.protocol === 'appservice2017' ? 'appservice' : row.protocol
  const args = ['run', '--data-dir', dataDir, '--as', vm, '--protocol', protocol, '--']
  if (row.protocol === 'appservice2017')
    args.push('env', '-u', 'IDENTITY_ENDPOINT', '-u', 'IDENTITY_HEADER')
  return [BIN, ...args]
}

/** The environment of the test run, less anything that would give a program an identity. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) {
    if (/^(IDENTITY_|MSI_|IMDS_|AZURE_|NODE_EXTRA_CA_CERTS|REQUESTS_CA_BUNDLE|SSL_CERT)/.test(k))
      delete env[k]
  }
  return { ...env, ...extra }
}

async function sdkRow(dataDir: string, vm: string, row: Row, clientId: string) {
  const id = row.identity === 'user' ? { clientId } : undefined
  const spec = JSON.stringify({ resource: MATRIX_RESOURCE, cases: [{ sdk: row.client, id }] })
  const program =
    row.client === 'python'
      ? ['/usr/bin/python3', PY_TOKENS, spec]
      : [process.execPath, MI_TOKENS, spec]
  const r = await exec(process.execPath, [...runArgs(dataDir, vm, row), ...program], cleanEnv())
  if (r.code !== 0) return { error: `exit ${r.code}: ${r.stderr}${r.stdout}` }
  const [one] = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    token?: string
    error?: string
  }[]
  return { token: one?.token, error: one?.error }
}

/**
 * A VM's network namespace (`keyless runs add --netns`): IMDS at 169.254.169.254 by the agent,
 * and, for `az login`'s subscription list, ARM's port relayed in over a Unix socket (TLS passes
 * through untouched, so the certificate for 127.0.0.1 still matches).
 */
async function vmNamespace(dataDir: string, vm: string, port: number) {
  const name = `msi${process.pid}`
  const added = await exec(
    process.execPath,
    [BIN, 'runs', 'add', '--data-dir', dataDir, '--as', vm, '--netns', name, '-o', 'json'],
    cleanEnv(),
  )
  if (added.code !== 0) throw new Error(`keyless runs add --netns: ${added.stderr}`)
  const socketPath = join(tmpdir(), `${name}-arm.sock`)
  rmSync(socketPath, { force: true })
  const outside = createServer((c) => {
    const up = connect(port, '127.0.0.1')
    c.pipe(up).pipe(c)
    up.on('error', () => c.destroy())
    c.on('error', () => up.destroy())
  })
  await new Promise<void>((r) => outside.listen(socketPath, r))
  const code = `const n=require('node:net');n.createServer(c=>{const u=n.connect(${JSON.stringify(socketPath)});c.pipe(u).pipe(c);u.on('error',()=>c.destroy());c.on('error',()=>u.destroy())}).listen(${port},'127.0.0.1',()=>console.log('ready'))`
  const inside = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((r) => inside.stdout.once('data', () => r()))
  return {
    name,
    async close() {
      inside.kill()
      outside.close()
      rmSync(socketPath, { force: true })
      await exec('ip', ['netns', 'del', name], process.env)
    },
  }
}

/** `az login --identity` then `az account get-access-token`, in a config dir of its own. */
async function azRow(
  dataDir: string,
  vm: string,
  row: Row,
  clientId: string,
  base: string,
  netns?: string,
  ca?: string,
) {
  const config = mkdtempSync(join(tmpdir(), 'msi-az-'))
  try {
    const env = cleanEnv({
      AZURE_CONFIG_DIR: config,
      AZURE_CORE_COLLECT_TELEMETRY: 'no',
      AZURE_CORE_NO_COLOR: 'true',
    })
    // In the VM's namespace az finds IMDS itself and trusts Keyless's CA through the variable.
    const az = (args: string[]) =>
      netns === undefined
        ? exec(process.execPath, [...runArgs(dataDir, vm, row), 'az', ...args], env)
        : exec('ip', ['netns', 'exec', netns, 'az', ...args], { ...env, REQUESTS_CA_BUNDLE: ca })
    const plain = (args: string[]) => exec('az', args, env)
    const reg = await plain([
      'cloud',
      'register',
      '--name',
      'Keyless',
      '--endpoint-resource-manager',
      `${base}/`,
      '--endpoint-active-directory',
      base,
      '--endpoint-active-directory-resource-id',
      AZ_RESOURCE,
      '--endpoint-active-directory-graph-resource-id',
      `${base}/`,
      '--endpoint-management',
      AZ_RESOURCE,
    ])
    if (reg.code !== 0) return { error: `az cloud register: ${reg.stderr}` }
    const set = await plain(['cloud', 'set', '--name', 'Keyless'])
    if (set.code !== 0) return { error: `az cloud set: ${set.stderr}` }
    const user = row.identity === 'user' ? ['--username', clientId] : []
    const login = await az(['login', '--identity', ...user, '--output', 'json'])
    if (login.code !== 0) return { error: `az login: ${login.stderr}` }
    const subscriptions = (JSON.parse(login.stdout) as { id: string }[]).map((s) => s.id)
    const token = await az(['account', 'get-access-token', '--output', 'json'])
    if (token.code !== 0)
      return { error: `az account get-access-token: ${token.stderr}`, subscriptions }
    return {
      token: (JSON.parse(token.stdout) as { accessToken: string }).accessToken,
      subscriptions,
    }
  } finally {
    rmSync(config, { recursive: true, force: true })
  }
}

async function main(rows: Row[]) {
  const k = await startKeyless()
  try {
    const api = management(k, await operatorToken(k))
    const rg = await api.createGroup('matrix-rg')
    const uami = await api.createIdentity(rg, 'matrix-identity')
    const vm = await api.putVm(rg, 'matrix-vm', { system: true, user: [uami.id] })
    const sub = `/subscriptions/${k.endpoints.subscriptionId}`
    for (const principalId of [vm.principalId!, uami.principalId]) {
      await assignRole(api.call, k.endpoints.subscriptionId, {
        scope: sub,
        role: READER,
        principalId,
      })
    }
    const base = k.endpoints.managementEndpoint.replace(/\/$/, '')
    const results: RowResult[] = []
    const needsNetns = rows.some((r) => r.client === 'az' && r.protocol === 'imds')
    const ns = needsNetns
      ? await vmNamespace(k.dataDir, vm.id, Number(new URL(base).port))
      : undefined
    try {
      for (const row of rows) {
        const inNs = row.client === 'az' && row.protocol === 'imds' ? ns?.name : undefined
        const r =
          row.client === 'az'
            ? await azRow(k.dataDir, vm.id, row, uami.clientId, base, inNs, k.endpoints.caCertFile)
            : await sdkRow(k.dataDir, vm.id, row, uami.clientId)
        results.push({ ...row, ...r })
      }
    } finally {
      await ns?.close()
    }
    const jwks = (await https(k.endpoints.jwksUri, { ca: k.ca })).json()
    process.stdout.write(
      JSON.stringify({
        issuer: k.endpoints.issuer,
        jwks,
        vm,
        uami,
        subscriptionId: k.endpoints.subscriptionId,
        results,
      }) + '\n',
    )
  } finally {
    await k.dispose()
  }
}

if (process.argv[1]?.endsWith('agent.protocol-matrix.driver.js')) {
  main(JSON.parse(process.argv[2]!) as Row[]).catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
