// The fleet of the cluster test: a private PostgreSQL (the test restarts it; the machine's shared
// server is never touched), three `keyless server` replicas, HAProxy on the load balancer's
// address, and three hosts (fleet-network.ts), each running `keyless agent` in its namespace
// (joined with a join token, as docs/deploy-hosts.md), with VMs placed on them by ARM
// (`properties.networkNamespace`) so each agent serves IMDS at 169.254.169.254 in the VM's own
// namespace. Agents may run with their clock skewed (libfaketime, Debian's faketime package).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { call } from '../../../src/agent/test-http.js'
import { arm, type ArmCall } from '../../helpers/arm.js'
import { https } from '../../helpers/https.js'
import { BIN } from '../../helpers/keyless.js'
import { clientToken } from '../../helpers/tokens.js'
import { replicaReady, spawnReplica, type ReplicaProcess } from '../../helpers/replica-process.js'
import { credentials, masterKeyFile, scratchDir } from '../replicas/replicas.config.js'
import { freePort, haproxyConfig, HAPROXY_SKIP } from '../cluster/cluster.config.js'
import { privatePostgresUnavailable, startPrivatePostgres } from '../faults/private-postgres.js'
import type { PrivatePostgres } from '../faults/private-postgres.js'
import { RG_API, VM_API, MI_API } from '../agent/agent.config.js'
import {
  CURL,
  createFleetNetwork,
  IP,
  NSENTER,
  type FleetHost,
  type FleetNetwork,
} from './fleet-network.js'

export const SCHEMA = 'fleet'
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'

export const FLEET_SKIP =
  process.getuid?.() !== 0
    ? 'the fleet test needs root (network namespaces, veth pairs)'
    : !IP
      ? "the fleet test needs iproute2's ip"
      : !NSENTER
        ? "the fleet test needs util-linux's nsenter"
        : !CURL
          ? 'the fleet test needs curl'
          : ((HAPROXY_SKIP || privatePostgresUnavailable()) ?? false)

/** Why clocks cannot be skewed here, or undefined. */
export const SKEW_UNAVAILABLE = existsSync(LIBFAKETIME)
  ? undefined
  : `install faketime (Debian package libfaketime, ${LIBFAKETIME}) to skew the agents' clocks`

/** The environment that shifts a process's wall clock by `seconds` (timers stay monotonic). */
function skewed(seconds: number): NodeJS.ProcessEnv {
  if (seconds === 0 || SKEW_UNAVAILABLE) return {}
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME: `${seconds > 0 ? '+' : ''}${seconds}s`,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  }
}

export interface FleetAgent {
  host: FleetHost
  hostId: string
  stateDir: string
  /** The agent's clock minus the replicas'. */
  skewSeconds: number
  control(method: string, path: string, body?: unknown): ReturnType<typeof call>
  output(): string
}

export interface Vm {
  id: string
  netns: string
  principalId: string
}

export interface Fleet {
  net: FleetNetwork
  pg: PrivatePostgres
  publicUrl: string
  ca: string
  tenantId: string
  subscriptionId: string
  admin: { clientId: string; clientSecret: string }
  replicas: ReplicaProcess[]
  agents: FleetAgent[]
  /** The operator's ARM, through the load balancer. */
  operator: ArmCall
  group: string
  /** A user-assigned identity in the fleet's group. */
  createIdentity(name: string): Promise<{ id: string; principalId: string; clientId: string }>
  /** A VM placed on host `host` (1-based) in its own namespace, with these identities. */
  placeVm(host: number, name: string, userAssigned: string[]): Promise<Vm>
  /** Verifies a token against the fleet's JWKS and issuer. */
  verify(token: string, audience: string): Promise<JWTPayload>
  dispose(): Promise<void>
}

function startAgent(
  host: FleetHost,
  o: { publicUrl: string; caFile: string; joinToken: string; name: string; skewSeconds: number },
): Promise<{ child: ChildProcess; stateDir: string; hostId: string; output: () => string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'kfleet-agent-'))
  // nsenter switches the network namespace only: the agent sees the host's network, and the VM
  // namespaces it creates (`ip netns add`) are visible to the test, as on a real host.
  const child = spawn(
    NSENTER!,
    [
      `--net=/run/netns/${host.netns}`,
      '--',
      process.execPath,
      BIN,
      'agent',
      '--server',
      o.publicUrl,
      '--ca-file',
      o.caFile,
      '--state-dir',
      stateDir,
      '--join-token',
      o.joinToken,
      '--name',
      o.name,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...skewed(o.skewSeconds) } },
  )
  let out = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  return (async () => {
    const deadline = Date.now() + 60_000
    while (!/controlSocket\s+\S+/.test(out)) {
      if (child.exitCode !== null) throw new Error(`keyless agent exited early:\n${out}`)
      if (Date.now() > deadline) throw new Error(`keyless agent did not start in time:\n${out}`)
      await sleep(50)
    }
    return { child, stateDir, hostId: /hostId\s+(\S+)/.exec(out)![1]!, output: () => out }
  })()
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** Starts the fleet; agent `i` runs with its clock off by `skews[i]` seconds. */
export async function startFleet(skews: number[]): Promise<Fleet> {
  const children: ChildProcess[] = []
  const dirs: string[] = []
  const net = await createFleetNetwork(skews.length)
  let pg: PrivatePostgres | undefined
  const dispose = async () => {
    // Agents first: their relays live in the VM namespaces the network removes.
    await Promise.all(children.map(stopChild))
    pg?.dispose()
    await net.dispose()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  try {
    pg = await startPrivatePostgres()
    const dir = scratchDir()
    const keyFile = masterKeyFile(dir)
    const lbPort = await freePort()
    const publicUrl = `https://${net.lbAddress}:${lbPort}`
    const db = { url: pg.url, schema: SCHEMA, keyFile, publicUrl }
    // One first, so the others find an initialised database (their start race is tested in
    // test/e2e/replicas).
    const replicas: ReplicaProcess[] = []
    for (let i = 0; i < 3; i++) {
      const child = spawnReplica({ ...db, dataDir: scratchDir() })
      children.push(child)
      replicas.push(await replicaReady(child))
    }
    const cfg = join(dir, 'haproxy.cfg')
    const backends = replicas.map((r) => new URL(r.endpoints.listening).host)
    writeFileSync(cfg, haproxyConfig(lbPort, backends, net.lbAddress))
    const haproxy = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => existsSync(p))!
    const check = spawnSync(haproxy, ['-c', '-f', cfg], { encoding: 'utf8' })
    if (check.status !== 0) throw new Error(`haproxy -c: ${check.stdout}${check.stderr}`)
    children.push(spawn(haproxy, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] }))
    const creds = await credentials(db)
    const caFile = join(creds, 'ca.crt')
    const ca = readFileSync(caFile, 'utf8')
    const admin = JSON.parse(readFileSync(join(creds, 'admin.json'), 'utf8'))
    const { tenantId, subscriptionId, issuer, jwksUri } = replicas[0]!.endpoints
    const at = {
      endpoints: { authorityHost: publicUrl, managementEndpoint: publicUrl, tenantId },
      ca,
    }
    const ready = Date.now() + 30_000
    for (let inARow = 0; inARow < 9;) {
      const res = await https(`${publicUrl}/readyz`, { ca }).catch(() => undefined)
      inARow = res?.status === 200 ? inARow + 1 : 0
      if (Date.now() > ready) throw new Error('HAProxy never answered /readyz from every replica')
      if (inARow === 0) await sleep(100)
    }
    const operator = arm(at, await clientToken(at, admin, 'https://management.azure.com/'))
    const ok = async (method: string, path: string, body?: unknown) => {
      const res = await operator(method, path, body)
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
      return res.text ? res.json() : undefined
    }
    const group = `/subscriptions/${subscriptionId}/resourceGroups/fleet`
    await ok('PUT', `${group}?api-version=${RG_API}`, { location: 'eastus' })

    const agents: FleetAgent[] = []
    for (const [i, host] of net.hosts.entries()) {
      const { token } = await ok('POST', '/keyless/v1/joinTokens')
      const a = await startAgent(host, {
        publicUrl,
        caFile,
        joinToken: token,
        name: `fleet-h${i + 1}`,
        skewSeconds: skews[i]!,
      })
      children.push(a.child)
      dirs.push(a.stateDir)
      const socketPath = join(a.stateDir, 'control.sock')
      agents.push({
        host,
        hostId: a.hostId,
        stateDir: a.stateDir,
        skewSeconds: skews[i]!,
        output: a.output,
        control: (method, path, body) =>
          call(`http://agent${path}`, {
            method,
            socketPath,
            headers: body ? { 'content-type': 'application/json' } : {},
            body: body ? JSON.stringify(body) : undefined,
          }),
      })
    }

    const jwks = createLocalJWKSet((await https(jwksUri, { ca })).json())
    return {
      net,
      pg,
      publicUrl,
      ca,
      tenantId,
      subscriptionId,
      admin,
      replicas,
      agents,
      operator,
      group,
      async createIdentity(name) {
        const id = `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`
        const body = await ok('PUT', `${id}?api-version=${MI_API}`, { location: 'eastus' })
        return {
          id: body.id,
          principalId: body.properties.principalId,
          clientId: body.properties.clientId,
        }
      },
      async placeVm(host, name, userAssigned) {
        const id = `${group}/providers/Microsoft.Compute/virtualMachines/${name}`
        const netns = net.vmNamespace(host, name.slice(-1))
        const body = await ok('PUT', `${id}?api-version=${VM_API}`, {
          location: 'eastus',
          properties: { hostId: agents[host - 1]!.hostId, networkNamespace: netns },
          identity: {
            type: userAssigned.length ? 'SystemAssigned, UserAssigned' : 'SystemAssigned',
            ...(userAssigned.length && {
              userAssignedIdentities: Object.fromEntries(userAssigned.map((u) => [u, {}])),
            }),
          },
        })
        return { id: body.id, netns, principalId: body.identity.principalId }
      },
      async verify(token, audience) {
        const { payload } = await jwtVerify(token, jwks, { issuer, audience })
        return payload
      },
      dispose,
    }
  } catch (err) {
    await dispose()
    throw err
  }
}
