// The fleet's network on this machine: each host a network namespace joined to the root
// namespace by a veth pair on its own /24 of 10.213.0.0/16, and the load balancer's address on
// the root namespace's loopback (this kernel has no dummy links), reached by every host through
// its default route. Every name (and the address's label) starts with `kfleet-<run>`; a run writes /run/kfleet-<run>.pid first, so a later run removes
// what a killed one left (a test cancelled at its timeout runs no `after` hook).
import { execFile } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'

export const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => existsSync(p))
export const NSENTER = ['/usr/bin/nsenter', '/bin/nsenter'].find((p) => existsSync(p))
export const CURL = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p))

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export function exec(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) || 1 : 0, stdout, stderr }),
    )
  })
}

async function ip(...args: string[]): Promise<void> {
  const r = await exec(IP!, args)
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`)
}

const PID_FILE = (run: string) => `/run/kfleet-${run}.pid`
const NAME = /^kfleet-([0-9a-f]{4})-/

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Removes the namespaces and links of earlier runs whose process is gone. */
async function sweepStale(): Promise<void> {
  const dead = (run: string) => {
    const file = PID_FILE(run)
    return !existsSync(file) || !alive(Number(readFileSync(file, 'utf8')))
  }
  const namespaces = (await exec(IP!, ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
  const links = (await exec(IP!, ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
  for (const line of (await exec(IP!, ['-o', '-4', 'addr', 'show', 'dev', 'lo'])).stdout.split(
    '\n',
  )) {
    const m = /inet (\S+) .* lo:kfleet-([0-9a-f]{4})/.exec(line)
    if (m && dead(m[2]!)) await exec(IP!, ['addr', 'del', m[1]!, 'dev', 'lo'])
  }
  for (const name of [...namespaces, ...links]) {
    const run = NAME.exec(name)?.[1]
    if (run === undefined || !dead(run)) continue
    if (namespaces.includes(name)) await exec(IP!, ['netns', 'del', name])
    else await exec(IP!, ['link', 'del', name])
  }
  for (const f of readdirSync('/run').filter((f) => /^kfleet-[0-9a-f]{4}\.pid$/.test(f))) {
    const run = f.slice(7, 11)
    if (dead(run)) rmSync(`/run/${f}`, { force: true })
  }
}

export interface FleetHost {
  /** The host's namespace, also the root end of its veth pair. */
  netns: string
  /** The host's own address, on its end of the veth pair. */
  address: string
  /** Link down (as a cable pulled) or up again, at the root namespace's end. */
  setLink(up: boolean): Promise<void>
}

export interface FleetNetwork {
  prefix: string
  /** The load balancer's address, in the root namespace. */
  lbAddress: string
  hosts: FleetHost[]
  /** Namespace names for VMs placed on the hosts (each agent creates its own). */
  vmNamespace(host: number, vm: string): string
  /** `ip netns exec <netns> file args…`. */
  execIn(netns: string, file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ExecResult>
  dispose(): Promise<void>
}

export async function createFleetNetwork(hostCount: number): Promise<FleetNetwork> {
  await sweepStale()
  const run = randomBytes(2).toString('hex')
  writeFileSync(PID_FILE(run), String(process.pid))
  const prefix = `kfleet-${run}`
  // A block of four /24s per run, so a second run at once does not share an address.
  const block = 4 * randomInt(1, 63)
  const lbAddress = `10.213.${block}.1`
  const hosts: FleetHost[] = []
  const dispose = async () => {
    const namespaces = (await exec(IP!, ['netns', 'list'])).stdout
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.startsWith(`${prefix}-`))
    for (const ns of namespaces) await exec(IP!, ['netns', 'del', ns])
    await exec(IP!, ['addr', 'del', `${lbAddress}/32`, 'dev', 'lo'])
    rmSync(PID_FILE(run), { force: true })
  }
  try {
    await ip('addr', 'add', `${lbAddress}/32`, 'dev', 'lo', 'label', `lo:${prefix}`)
    for (let i = 1; i <= hostCount; i++) {
      const netns = `${prefix}-h${i}`
      const net = `10.213.${block + i}`
      await ip('netns', 'add', netns)
      await ip('link', 'add', netns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns)
      await ip('addr', 'add', `${net}.1/24`, 'dev', netns)
      await ip('link', 'set', netns, 'up')
      await ip('-n', netns, 'link', 'set', 'lo', 'up')
      await ip('-n', netns, 'addr', 'add', `${net}.2/24`, 'dev', 'eth0')
      await ip('-n', netns, 'link', 'set', 'eth0', 'up')
      await ip('-n', netns, 'route', 'add', 'default', 'via', `${net}.1`)
      hosts.push({
        netns,
        address: `${net}.2`,
        setLink: (up) => ip('link', 'set', netns, up ? 'up' : 'down'),
      })
    }
  } catch (err) {
    await dispose()
    throw err
  }
  return {
    prefix,
    lbAddress,
    hosts,
    vmNamespace: (host, vm) => `${prefix}-h${host}${vm}`,
    execIn: (netns, file, args, env) => exec(IP!, ['netns', 'exec', netns, file, ...args], env),
    dispose,
  }
}
