// 3. Control plane: create then delete N VMs with system-assigned identities through the ARM API
// of `keyless up` (HTTPS, keep-alive, a dozen requests in flight), on SQLite and on PostgreSQL,
// beside an authenticated ARM read on the same server (what the HTTP, authentication and
// routing cost alone). Role assignments join when the RBAC API lands (see roleAssignments).
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { armClient, client, operatorToken, startKeyless, type Keyless } from '../lib/keyless.js'
import { loadOnce, rawRequest, successShare, type Slice } from '../lib/load.js'
import type { Row } from '../lib/report.js'
import type { Context, Outcome, Section } from '../lib/section.js'
import { fmt, sig, summarize, type Latency } from '../lib/stats.js'

const CONNECTIONS = 12
const VM_API = 'api-version=2024-07-01'
const RA_API = 'api-version=2022-04-01'
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
/** 10 k VMs created in 30 s, on SQLite (absolute: reported, not checked). */
const CREATE_SECONDS_PER_10K = 30

interface Phase {
  run: Slice
  seconds: number
  rate: number
  latency: Latency
}

async function once(k: Keyless, requests: string[], what: string): Promise<Phase> {
  const url = new URL(k.endpoints.managementEndpoint)
  const run = await loadOnce({
    host: url.hostname,
    port: Number(url.port),
    ca: k.ca,
    connections: CONNECTIONS,
    requests,
  })
  if (successShare(run) < 1 || run.completed !== requests.length) {
    throw new Error(
      `${what}: ${run.completed}/${requests.length} done, ${JSON.stringify(run.statuses)} ${run.firstFailure ?? ''}`,
    )
  }
  const { samplesMs, ...rest } = run
  return {
    run: { ...rest, samplesMs: [] },
    seconds: run.elapsedMs / 1000,
    rate: (run.completed * 1000) / run.elapsedMs,
    latency: summarize(samplesMs),
  }
}

/** Whether the RBAC API answers; the hook for role assignments in this section. */
async function roleAssignmentsAvailable(k: Keyless, token: string, rg: string): Promise<boolean> {
  const c = client(k)
  try {
    const res = await c.send(
      'GET',
      `${k.endpoints.managementEndpoint}${rg}/providers/Microsoft.Authorization/roleAssignments?${RA_API}`,
      { authorization: `Bearer ${token}` },
    )
    return res.status === 200
  } finally {
    c.close()
  }
}

async function scenario(ctx: Context, k: Keyless, n: number) {
  const c = client(k)
  const token = await operatorToken(k, c)
  const arm = armClient(k, c, token)
  const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/bench-cp`
  await arm('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
  c.close()
  const base = new URL(k.endpoints.managementEndpoint)
  const auth = { authorization: `Bearer ${token}` }
  const json = { ...auth, 'content-type': 'application/json' }
  const vmPath = (i: number) =>
    `${rg}/providers/Microsoft.Compute/virtualMachines/vm-${String(i).padStart(5, '0')}?${VM_API}`
  const vmBody = JSON.stringify({ location: 'eastus', identity: { type: 'SystemAssigned' } })

  // The baseline: an authenticated read of the group, as many times as VMs are created.
  const readRg = rawRequest('GET', new URL(`${rg}?api-version=2025-04-01`, base), auth)
  await once(k, Array(Math.min(n, 500)).fill(readRg), 'warm-up')
  const read = await once(k, Array(n).fill(readRg), 'reads')
  const create = await once(
    k,
    Array.from({ length: n }, (_, i) => rawRequest('PUT', new URL(vmPath(i), base), json, vmBody)),
    'create',
  )
  const rbac = await roleAssignmentsAvailable(k, token, rg)
  let assign: Phase | undefined
  if (rbac) assign = await assignRoles(k, token, rg, n)
  const del = await once(
    k,
    Array.from({ length: n }, (_, i) => rawRequest('DELETE', new URL(vmPath(i), base), auth)),
    'delete',
  )
  ctx.log(
    `${n} VMs: create ${fmt(create.seconds, 1)} s, delete ${fmt(del.seconds, 1)} s, reads ${fmt(read.rate)}/s`,
  )
  return { read, create, assign, del, rbac }
}

/** One Reader assignment per VM identity, at the VM's scope (when the RBAC API is there). */
async function assignRoles(k: Keyless, token: string, rg: string, n: number): Promise<Phase> {
  const c = client(k)
  const principals: [string, string][] = []
  try {
    let next: string | undefined =
      `${k.endpoints.managementEndpoint}${rg}/providers/Microsoft.Compute/virtualMachines?${VM_API}`
    while (next) {
      const page = await c.send('GET', next, { authorization: `Bearer ${token}` })
      const body = page.json()
      for (const vm of body.value) principals.push([vm.id, vm.identity.principalId])
      next = body.nextLink
    }
  } finally {
    c.close()
  }
  const base = new URL(k.endpoints.managementEndpoint)
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const definition = `/subscriptions/${k.endpoints.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`
  return once(
    k,
    principals.slice(0, n).map(([scope, principalId]) =>
      rawRequest(
        'PUT',
        new URL(
          `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?${RA_API}`,
          base,
        ),
        headers,
        JSON.stringify({
          properties: {
            roleDefinitionId: definition,
            principalId,
            principalType: 'ServicePrincipal',
          },
        }),
      ),
    ),
    'role assignments',
  )
}

/** A throwaway database on the server of KEYLESS_TEST_POSTGRES_URL, dropped afterwards. */
async function withDatabase<T>(url: string, use: (url: string) => Promise<T>): Promise<T> {
  const name = `keyless_bench_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
    try {
      const u = new URL(url)
      u.pathname = `/${name}`
      return await use(u.toString())
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  } finally {
    await admin.end()
  }
}

function rows(store: string, n: number, r: Awaited<ReturnType<typeof scenario>>): Row[] {
  const readRate = r.read.rate
  const lat = (p: Phase) => `${sig(p.latency.p50)} / ${sig(p.latency.p99)} ms`
  const out: Row[] = [
    {
      measure: `${store}: create ${fmt(n)} VMs (system-assigned)`,
      value: `${fmt(n / r.create.seconds)} VMs/s (${fmt(r.create.seconds, 1)} s)`,
      latency: lat(r.create),
      baseline: 'authenticated ARM read (GET group)',
      baselineValue: `${fmt(readRate)} /s`,
      ratio: n / r.create.seconds / readRate,
      ...(store === 'SQLite'
        ? {
            reference: {
              text: `10 k ≤ ${CREATE_SECONDS_PER_10K} s`,
              met: (r.create.seconds * 10_000) / n <= CREATE_SECONDS_PER_10K,
            },
          }
        : {}),
    },
  ]
  if (r.assign) {
    out.push({
      measure: `${store}: ${fmt(n)} role assignments`,
      value: `${fmt(n / r.assign.seconds)} /s (${fmt(r.assign.seconds, 1)} s)`,
      latency: lat(r.assign),
      baseline: 'authenticated ARM read (GET group)',
      baselineValue: `${fmt(readRate)} /s`,
      ratio: n / r.assign.seconds / readRate,
    })
  }
  out.push({
    measure: `${store}: delete ${fmt(n)} VMs${r.assign ? ' (and their assignments)' : ''}`,
    value: `${fmt(n / r.del.seconds)} VMs/s (${fmt(r.del.seconds, 1)} s)`,
    latency: lat(r.del),
    baseline: 'authenticated ARM read (GET group)',
    baselineValue: `${fmt(readRate)} /s`,
    ratio: n / r.del.seconds / readRate,
  })
  return out
}

export const controlPlane: Section = {
  id: 'control-plane',
  title: '3. Control plane',
  async run(ctx): Promise<Outcome> {
    const n = ctx.quick ? 1000 : 10_000
    const out: Row[] = []
    const notes: string[] = []
    const data: Record<string, unknown> = { vms: n, connections: CONNECTIONS }
    const sqlite = await startKeyless()
    try {
      const r = await scenario(ctx, sqlite, n)
      out.push(...rows('SQLite', n, r))
      data.sqlite = r
      if (!r.rbac) notes.push('Role assignments: not available yet (the RBAC API does not answer).')
    } finally {
      await sqlite.dispose()
    }
    const pgUrl = process.env.KEYLESS_TEST_POSTGRES_URL
    if (!pgUrl) {
      notes.push('PostgreSQL: skipped, KEYLESS_TEST_POSTGRES_URL is not set.')
    } else {
      await withDatabase(pgUrl, async (url) => {
        const k = await startKeyless({ args: ['--database-url', url] })
        try {
          const r = await scenario(ctx, k, n)
          out.push(...rows('PostgreSQL', n, r))
          data.postgres = r
        } finally {
          await k.dispose()
        }
      })
      notes.push(
        'PostgreSQL runs on the same two cores, unpinned: it competes with the server and the ' +
          'load generator, as a database on the same host would.',
      )
    }
    return {
      status: 'ok',
      summary:
        `${fmt(n)} VMs with \`identity: SystemAssigned\` created then deleted through ARM ` +
        `(\`PUT/DELETE …/virtualMachines/{vm}\`), ${CONNECTIONS} requests in flight over ` +
        'keep-alive HTTPS, each VM one directory transaction (resource, identity, service ' +
        'principal). The ratio is writes per second over authenticated reads per second on ' +
        'the same server: the share of the request cost that is the write itself.',
      rows: out,
      notes,
      data,
    }
  },
}
