// IMDS where Azure puts it: 169.254.169.254:80 inside a VM's own network namespace, so that an
// unmodified program there gets its identities as on an Azure VM, with no variable set
// (identity-protocols.md §1). The namespace is the boundary, as a VM's network is on Azure:
// every process in it is the VM, and no other namespace can reach its address.
//
// The agent prepares the namespace when it may (root): creates it if absent, brings up `lo`
// and puts 169.254.169.254/32 on it; then `ip netns exec` starts the relay (netns-relay.ts)
// there. Without root, or without iproute2, it says exactly what is missing.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Conflict } from '../domain/errors.js'
import type { Logger } from './respond.js'

export const IMDS_ADDRESS = '169.254.169.254'
export const IMDS_PORT = 80

export { assertNamespaceName } from '../domain/network-namespace.js'

/** The commands that make `name` ready for IMDS, in order (each tolerates "already done"). */
export function setupCommands(name: string): string[][] {
  return [
    ['netns', 'add', name],
    ['-n', name, 'link', 'set', 'lo', 'up'],
    ['-n', name, 'addr', 'add', `${IMDS_ADDRESS}/32`, 'dev', 'lo'],
  ]
}

export interface NetnsFacts {
  isRoot: boolean
  /** Path of `ip`, or undefined when it is not installed. */
  ip: string | undefined
}

/** What stands between this agent and an IMDS listener in `name`; empty when nothing does. */
export function missingFor(name: string, facts: NetnsFacts): string[] {
  const missing: string[] = []
  if (!facts.ip) missing.push("iproute2's `ip` command (apt-get install iproute2)")
  if (!facts.isRoot) {
    missing.push(
      `root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to enter network namespace '${name}' and set it up: ` +
        setupCommands(name)
          .map((c) => `ip ${c.join(' ')}`)
          .join('; '),
    )
  }
  return missing
}

export function netnsFacts(): NetnsFacts {
  const ip = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p))
  return { isRoot: process.getuid?.() === 0, ip }
}

const ALREADY = /File exists|already exists/i

function run(ip: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(ip, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (!err || ALREADY.test(stderr)) resolve()
      else reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`))
    })
  })
}

export interface Relay {
  close(): Promise<void>
}

const RELAY = fileURLToPath(new URL('./netns-relay.js', import.meta.url))

/**
 * Prepares `name` and starts the relay in it, forwarding 169.254.169.254:80 to `socketPath`.
 * Throws Conflict `NetnsUnavailable` naming what is missing or what failed.
 */
export async function startNetnsRelay(
  name: string,
  socketPath: string,
  log: Logger,
  facts: NetnsFacts = netnsFacts(),
): Promise<Relay> {
  const unavailable = (why: string) =>
    new Conflict('NetnsUnavailable', `IMDS in network namespace '${name}' needs ${why}`)
  const missing = missingFor(name, facts)
  if (missing.length) throw unavailable(missing.join(', and '))
  try {
    for (const args of setupCommands(name)) await run(facts.ip!, args)
  } catch (err) {
    throw unavailable(`a namespace the agent can set up: ${(err as Error).message}`)
  }
  const child = spawn(
    facts.ip!,
    ['netns', 'exec', name, process.execPath, RELAY, socketPath, IMDS_ADDRESS, String(IMDS_PORT)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  await whenReady(child).catch((err: Error) => {
    child.kill('SIGKILL')
    throw unavailable(`its address ${IMDS_ADDRESS}:${IMDS_PORT} free: ${err.message}`)
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.once('exit', (code, signal) => {
    if (!closing) log.warn({ netns: name, code, signal }, 'IMDS relay exited')
  })
  let closing = false
  return {
    async close() {
      closing = true
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
      await exited
      clearTimeout(timer)
    },
  }
}

function whenReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('ready\n')) resolve()
    })
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(err.trim() || `relay exited (${code})`)))
  })
}
