// `keyless status`: is the installation in this data directory up and healthy? Exit 0 when the
// server answers /readyz (store open, keys loaded, agent enrolled) and its agent answers on its
// control socket; 4 when not, with one line per check saying which failed.
import type { FaultSetView } from '../agent/index.js'
import { describeTarget } from './agent-faults.js'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { CliError, EXIT } from './errors.js'
import { send } from './http.js'
import { resolveDataDir } from './installation.js'
import { controlRequest } from './run.js'

interface Check {
  name: string
  ok: boolean
  detail: string
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readiness(url: string, caPem: string): Promise<Check[]> {
  try {
    const res = await send({ method: 'GET', url: `${url}/readyz`, caPem, timeoutMs: 5000 })
    const body = JSON.parse(res.text || '{}') as { failed?: string[] }
    const failed = new Set(body.failed ?? [])
    if (res.status !== 200 && failed.size === 0) failed.add('server')
    return [
      { name: 'server', ok: !failed.has('server'), detail: `${url} answered ${res.status}` },
      {
        name: 'store',
        ok: !failed.has('store'),
        detail: failed.has('store') ? 'not answering' : 'open',
      },
      {
        name: 'signing keys',
        ok: !failed.has('signingKeys'),
        detail: failed.has('signingKeys') ? 'none loaded' : 'loaded',
      },
    ]
  } catch (err) {
    return [{ name: 'server', ok: false, detail: (err as Error).message }]
  }
}

export async function checkStatus(dataDir: string): Promise<Check[]> {
  const file = join(dataDir, 'endpoints.json')
  if (!existsSync(file)) {
    return [
      {
        name: 'server',
        ok: false,
        detail: `not running (no ${file}); start it with \`keyless up\``,
      },
    ]
  }
  const e = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  const pid = typeof e.pid === 'number' ? e.pid : undefined
  if (pid !== undefined && !isAlive(pid)) {
    return [{ name: 'server', ok: false, detail: `not running: pid ${pid} in ${file} has exited` }]
  }
  const caPem = readFileSync(String(e.caCertFile), 'utf8')
  const checks = await readiness(String(e.authorityHost), caPem)
  if (typeof e.agentSocket === 'string') {
    try {
      const s = await controlRequest<{ faults?: FaultSetView[] }>(e.agentSocket, 'GET', '/status')
      checks.push({ name: 'agent', ok: true, detail: `answering on ${e.agentSocket}` })
      // Faults are no failure, but whoever reads the status must see the agent misbehaves on purpose.
      for (const f of s.faults ?? []) {
        const specs = f.faults.map((x) => `${x.spec} (${x.injected} injected)`).join(', ')
        checks.push({
          name: 'agent fault',
          ok: true,
          detail: `${describeTarget(f.target)}: ${specs}`,
        })
      }
    } catch (err) {
      checks.push({ name: 'agent', ok: false, detail: (err as Error).message })
    }
  } else checks.push({ name: 'agent', ok: false, detail: 'not started yet' })
  return checks
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('check that Keyless in the data directory is up: server, store and agent')
    .option('--data-dir <dir>', 'Keyless data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .action(async (flags: { dataDir?: string }) => {
      const checks = await checkStatus(resolveDataDir(flags.dataDir, process.env))
      for (const c of checks)
        console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(13)} ${c.detail}`)
      if (checks.some((c) => !c.ok)) {
        throw new CliError(EXIT.unreachable, 'Keyless is not up and healthy')
      }
    })
}
