// The short cluster of the CI: three `keyless server` replicas on a fresh schema of the test
// PostgreSQL, HAProxy (Debian's package) in front with health checks on /readyz, TLS passed
// through so agents keep authenticating by their host certificate. Everything is killed when
// the test file ends, even on failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { https } from '../../helpers/https.js'
import {
  credentials,
  masterKeyFile,
  scratchDir,
  seedTestCa,
  startReplicaProcess,
  type ReplicaProcess,
} from '../replicas/replicas.config.js'
import { readFileSync } from 'node:fs'
import { freePort } from '../../helpers/free-port.js'

const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => existsSync(p))

export const HAPROXY_SKIP =
  HAPROXY === undefined ? 'install haproxy (Debian package haproxy) to run the cluster test' : false

const children: ChildProcess[] = []
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

/** HAProxy's configuration for `backends` behind `<bind>:<port>`: TCP (TLS passes through),
 * a replica taken out after two failed /readyz checks, its sessions cut, connections that fail
 * re-dispatched to another replica. With no replica ready (the database down), connections go
 * to the live ones (/healthz), which answer 503 with Retry-After in each protocol's format: in
 * TCP mode HAProxy itself could only close the connection. */
export function haproxyConfig(port: number, backends: string[], bind = '127.0.0.1'): string {
  const servers = backends.map((b, i) => `  server r${i + 1} ${b}`)
  const checks = 'check check-ssl verify none inter 200 fall 2 rise 2'
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  retries 3',
    // A check answered late on a loaded machine must not count as a dead replica: with the check
    // timeout at its default (inter, 200 ms) and fall 1, one slow /readyz shut a live replica's
    // sessions and the test's own setup met "socket hang up". A killed replica still refuses
    // its checks at once, so it is out after two (400 ms).
    '  timeout check 2s',
    '  option redispatch',
    'frontend keyless',
    `  bind ${bind}:${port}`,
    '  use_backend live if { nbsrv(replicas) lt 1 }',
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    `  default-server ${checks} on-marked-down shutdown-sessions`,
    ...servers,
    'backend live',
    '  balance roundrobin',
    '  option httpchk GET /healthz',
    '  http-check expect status 200',
    `  default-server ${checks}`,
    ...servers,
    '',
  ].join('\n')
}

export interface Cluster {
  publicUrl: string
  replicas: ReplicaProcess[]
  ca: string
  admin: { tenantId: string; clientId: string; clientSecret: string }
  tenantId: string
  subscriptionId: string
  /** Starts replica `i` again where it listened before (after a kill). */
  restart(i: number): Promise<void>
}

export async function startCluster(url: string, schema: string, size = 3): Promise<Cluster> {
  const dir = scratchDir()
  const keyFile = masterKeyFile(dir)
  await seedTestCa(url, schema, keyFile)
  const lbPort = await freePort()
  const publicUrl = `https://127.0.0.1:${lbPort}`
  const replicas = await Promise.all(
    Array.from({ length: size }, () => startReplicaProcess({ url, schema, keyFile, publicUrl })),
  )
  for (const r of replicas) children.push(r.child)
  const cfg = join(dir, 'haproxy.cfg')
  writeFileSync(
    cfg,
    haproxyConfig(
      lbPort,
      replicas.map((r) => new URL(r.endpoints.listening).host),
    ),
  )
  const check = spawnSync(HAPROXY!, ['-c', '-f', cfg], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`haproxy -c: ${check.stdout}${check.stderr}`)
  const lb = spawn(HAPROXY!, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(lb)
  const creds = await credentials({ url, schema, keyFile, publicUrl })
  const ca = readFileSync(join(creds, 'ca.crt'), 'utf8')
  // Ready once every replica has answered through HAProxy: consecutive successes cover each
  // backend of the round robin (one answer alone left the test's first writes, in a loaded CI
  // run, meeting a backend HAProxy did not yet pass traffic to: "socket hang up").
  const deadline = Date.now() + 20_000
  for (let inARow = 0; inARow < 3 * size;) {
    const res = await https(`${publicUrl}/readyz`, { ca }).catch(() => undefined)
    inARow = res?.status === 200 ? inARow + 1 : 0
    if (Date.now() > deadline) throw new Error('HAProxy never answered /readyz from every replica')
    if (inARow === 0) await sleep(100)
  }
  const first = replicas[0]!.endpoints
  const restart = async (i: number) => {
    const listen = new URL(replicas[i]!.endpoints.listening).host
    const again = await startReplicaProcess({ url, schema, keyFile, publicUrl, listen })
    children.push(again.child)
    replicas[i] = again
  }
  return {
    restart,
    publicUrl,
    replicas,
    ca,
    admin: JSON.parse(readFileSync(join(creds, 'admin.json'), 'utf8')),
    tenantId: first.tenantId,
    subscriptionId: first.subscriptionId,
  }
}

export { freePort }
