// 9. Propagation across replicas: two `keyless server` processes on one PostgreSQL schema; a role
// assignment created or deleted through replica A's ARM, timed until replica B's ARM enforces it
// (the first 200, the first 403 for the assignee). Every change is one sample; the baseline is
// a raw PostgreSQL NOTIFY round trip (one session NOTIFYs, another LISTENs) in the same run,
// which is the floor of any NOTIFY-woken design.
import { randomBytes, randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { addApplication } from '../../test/helpers/applications.js'
import { replicaReady, spawnReplica } from '../../test/helpers/replica-process.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { tokenEndpointPath } from '../../src/common/agent-protocol.js'
import { BUILT_IN_ROLE_IDS } from '../../src/domain/rbac/built-in-roles.js'
import { track } from '../lib/children.js'
import { BIN, client, type Client } from '../lib/keyless.js'
import type { Row } from '../lib/report.js'
import { unavailable, type Context, type Outcome, type Section } from '../lib/section.js'
import { fmt, summarize } from '../lib/stats.js'

const TARGET_P99_MS = 250
const RA_API = 'api-version=2022-04-01'
const MANAGEMENT = 'https://management.azure.com/.default'

async function token(c: Client, base: string, tenant: string, id: string, secret: string) {
  const res = await c.send(
    'POST',
    `${base}${tokenEndpointPath(tenant)}`,
    { 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: id,
      client_secret: secret,
      scope: MANAGEMENT,
    }).toString(),
  )
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`)
  return res.json().access_token as string
}

/** NOTIFY on one session until the LISTENing one hears it, `n` times (ms each). */
async function notifyRoundTrips(url: string, n: number): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url })
  const sender = new pg.Client({ connectionString: url })
  await listener.connect()
  await sender.connect()
  try {
    const channel = `bench_${randomBytes(4).toString('hex')}`
    await listener.query(`LISTEN ${channel}`)
    const out: number[] = []
    for (let i = 0; i < n; i++) {
      const heard = new Promise<void>((resolve) => listener.once('notification', () => resolve()))
      const t0 = performance.now()
      await sender.query(`NOTIFY ${channel}, '${i}'`)
      await heard
      out.push(performance.now() - t0)
    }
    return out
  } finally {
    await listener.end()
    await sender.end()
  }
}

export const replicaPropagation: Section = {
  id: 'replica-propagation',
  title: '9. Propagation across replicas',
  async run(ctx: Context): Promise<Outcome> {
    const url = process.env.KEYLESS_BENCH_POSTGRES_URL ?? process.env.KEYLESS_TEST_POSTGRES_URL
    if (!url) return unavailable('Set KEYLESS_TEST_POSTGRES_URL (or KEYLESS_BENCH_POSTGRES_URL).')
    const changes = ctx.quick ? 40 : 200
    const schema = `bench_replicas_${process.pid}`
    const dir = mkdtempSync(join(tmpdir(), 'keyless-bench-replicas-'))
    const keyFile = join(dir, 'master.key')
    writeFileSync(keyFile, randomBytes(32).toString('base64url'), { mode: 0o600 })
    const args = { url, schema, keyFile, publicUrl: 'https://127.0.0.1:9', dataDir: dir }
    const [a, b] = await Promise.all([0, 1].map(() => replicaReady(track(spawnReplica(args)))))
    let c: Client | undefined
    try {
      const ca = readFileSync(await caFile(url, schema, keyFile, dir))
      c = client({ ca: ca.toString('utf8') })
      const tenant = a!.endpoints.tenantId
      const A = a!.endpoints.listening
      const B = b!.endpoints.listening
      const operator = JSON.parse(readFileSync(join(dir, 'creds/admin.json'), 'utf8'))
      const opToken = await token(c, A, tenant, operator.clientId, operator.clientSecret)
      const app = await addApplication(() => openPostgresStore(url, { schema }), tenant)
      const appToken = await token(c, B, tenant, app.appId, app.secret)
      const rg = `/subscriptions/${a!.endpoints.subscriptionId}/resourceGroups/bench-replicas`
      const send = (base: string, bearer: string, method: string, path: string, body?: unknown) =>
        c!.send(
          method,
          `${base}${path}`,
          {
            authorization: `Bearer ${bearer}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body === undefined ? undefined : JSON.stringify(body),
        )
      await send(A, opToken, 'PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
      const readOnB = async () =>
        (await send(B, appToken, 'GET', `${rg}?api-version=2025-04-01`)).status
      const until = async (status: number, t0: number) => {
        for (;;) {
          if ((await readOnB()) === status) return performance.now() - t0
          if (performance.now() - t0 > 30_000) throw new Error(`B never answered ${status}`)
        }
      }
      const fromSent: number[] = []
      const fromAck: number[] = []
      for (let i = 0; i < changes / 2; i++) {
        const id = `${rg}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
        for (const step of ['create', 'delete'] as const) {
          const t0 = performance.now()
          const res =
            step === 'create'
              ? await send(A, opToken, 'PUT', `${id}?${RA_API}`, {
                  properties: {
                    roleDefinitionId: `/subscriptions/${a!.endpoints.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLE_IDS.reader}`,
                    principalId: app.objectId,
                    principalType: 'ServicePrincipal',
                  },
                })
              : await send(A, opToken, 'DELETE', `${id}?${RA_API}`)
          const acked = performance.now() - t0
          if (res.status >= 300) throw new Error(`${step}: ${res.status} ${res.text}`)
          const enforced = await until(step === 'create' ? 200 : 403, t0)
          fromSent.push(enforced)
          fromAck.push(Math.max(0, enforced - acked))
        }
      }
      const notify = await notifyRoundTrips(url, changes)
      const s = summarize(fromSent)
      const k = summarize(fromAck)
      const n = summarize(notify)
      ctx.log(`replica propagation p50 ${fmt(s.p50, 1)} ms, p99 ${fmt(s.p99, 1)} ms`)
      const rows: Row[] = [
        {
          measure: `role assignment written on A → enforced by B's ARM (${fromSent.length} changes)`,
          value: `p50 ${fmt(s.p50, 1)} ms`,
          latency: `${fmt(s.p50, 1)} / ${fmt(s.p99, 1)} ms`,
          baseline: 'raw PG NOTIFY round trip (p50 / p99)',
          baselineValue: `${fmt(n.p50, 2)} / ${fmt(n.p99, 2)} ms`,
          reference: { text: `p99 ≤ ${TARGET_P99_MS} ms`, met: s.p99 <= TARGET_P99_MS },
        },
        {
          measure: "after A's acknowledgement → enforced by B",
          value: `p50 ${fmt(k.p50, 1)} ms`,
          latency: `${fmt(k.p50, 1)} / ${fmt(k.p99, 1)} ms`,
          ratio: n.p99 / Math.max(k.p99, 0.001),
        },
      ]
      return {
        status: 'ok',
        summary:
          'Two replica processes on one schema; each sample is one role-assignment write ' +
          "through A's ARM, timed (from the request sent, and from A's answer) until B's ARM " +
          'answers the assignee with the new decision, B read back to back. The ratio is the ' +
          'NOTIFY round trip p99 over the propagation p99 after acknowledgement.',
        rows,
        data: { fromSentMs: fromSent, fromAckMs: fromAck, notifyMs: notify },
      }
    } finally {
      c?.close()
      await Promise.all([a!.stop(), b!.stop()])
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      await admin.query(`drop schema if exists ${schema} cascade`).finally(() => admin.end())
      rmSync(dir, { recursive: true, force: true })
    }
  },
}

/** `keyless server credentials` into `<dir>/creds`; returns the CA file. */
async function caFile(url: string, schema: string, keyFile: string, dir: string) {
  const out = join(dir, 'creds')
  const child = track(
    spawn(process.execPath, [
      BIN,
      'server',
      'credentials',
      '--database-url',
      url,
      '--database-schema',
      schema,
      '--master-key-file',
      keyFile,
      '--public-url',
      'https://127.0.0.1:9',
      '--out-dir',
      out,
    ]),
  )
  const code = await new Promise((r) => child.once('exit', r))
  if (code !== 0) throw new Error(`keyless server credentials exited ${String(code)}`)
  return join(out, 'ca.crt')
}
