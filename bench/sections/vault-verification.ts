// 2b. Verification by a data plane: a Key Vault secret read (`GET /secrets/{name}`) from
// `keyless up`, over keep-alive HTTPS from the load core, with the same bearer token on every
// request (the verified-token cache answers) beside a token never presented before on each
// request (full signature verification). Everything else the vault does per request (principal
// lookup, RBAC decision, secret read) is the same on both sides, so the ratio is what the cache
// saves of a whole request.
import { client, operatorToken, operatorTokens, armClient, type Keyless } from '../lib/keyless.js'
import { rawRequest, successShare } from '../lib/load.js'
import { pairedSlices } from '../lib/paired.js'
import type { Row } from '../lib/report.js'
import type { Context } from '../lib/section.js'
import { fmt, sig } from '../lib/stats.js'
import {
  assignRole,
  createVault,
  KV_API,
  oidOf,
  rbacAnswers,
  SECRETS_OFFICER,
  VAULT_SCOPE,
} from '../lib/vault.js'

const CONNECTIONS = 16

export type VaultVerification =
  { available: false; reason: string } | { available: true; rows: Row[]; data: unknown }

/** A vault with one secret the operator may read; the secret's URL. */
async function secretUrl(k: Keyless): Promise<string | { reason: string }> {
  const c = client(k)
  try {
    const operator = await operatorToken(k, c)
    const arm = armClient(k, c, operator)
    const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/bench-verification`
    await arm('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
    if (!(await rbacAnswers(k, arm, rg))) return { reason: 'the RBAC API does not answer' }
    const vault = await createVault(arm, k, rg, 'benchverify')
    if (!vault.vaultUri) return { reason: 'vaults have no `properties.vaultUri`' }
    await assignRole(arm, k, vault.id, SECRETS_OFFICER, oidOf(operator))
    const url = `${vault.vaultUri.replace(/\/$/, '')}/secrets/bench?${KV_API}`
    const token = await operatorToken(k, c, VAULT_SCOPE)
    // The assignment reaches the vault's RBAC index through the change feed: retry briefly.
    const deadline = Date.now() + 10_000
    for (;;) {
      const put = await c.send(
        'PUT',
        url,
        { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        JSON.stringify({ value: 'hello' }),
      )
      if (put.status === 200) return url
      if (Date.now() > deadline) throw new Error(`set secret: ${put.status} ${put.text}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  } finally {
    c.close()
  }
}

export async function measureVaultVerification(
  ctx: Context,
  k: Keyless,
): Promise<VaultVerification> {
  const url = await secretUrl(k)
  if (typeof url !== 'string') return { available: false, reason: url.reason }
  const target = new URL(url)
  const c = client(k)
  const lg = await ctx.loadgen()
  const get = (token: string) => rawRequest('GET', target, { authorization: `Bearer ${token}` })
  const mint = (n: number) => operatorTokens(k, c, n, VAULT_SCOPE)
  const spec = { host: target.hostname, port: Number(target.port), ca: k.ca }
  const sliceMs = ctx.quick ? 300 : 400
  // Each new token is presented once: the pool is topped up ahead of the fastest slice seen.
  let pool = ctx.quick ? 1500 : 3000
  let fastest = 1000
  try {
    await lg.open('vault repeated', {
      ...spec,
      connections: CONNECTIONS,
      requests: [get((await mint(1))[0]!)],
      reuse: true,
    })
    await lg.open('vault new', {
      ...spec,
      connections: CONNECTIONS,
      requests: (await mint(pool)).map(get),
      reuse: false,
    })
    const statuses: Record<string, number> = {}
    const slice = async (id: string) => {
      const s = await lg.run(id, sliceMs)
      for (const [code, n] of Object.entries(s.statuses)) statuses[code] = (statuses[code] ?? 0) + n
      return s
    }
    const result = await pairedSlices({
      rounds: ctx.rounds,
      slicesPerRound: 2,
      warmupMs: ctx.quick ? 600 : 1000,
      subject: async () => {
        const s = await slice('vault repeated')
        return { ops: s.completed, ms: s.elapsedMs, samplesMs: s.samplesMs }
      },
      baseline: async () => {
        const s = await slice('vault new')
        pool -= s.completed + s.errors
        fastest = Math.max(fastest, (s.completed * 1000) / s.elapsedMs)
        const need = Math.ceil((fastest * sliceMs * 3) / 1000)
        if (pool < need) {
          await lg.add('vault new', (await mint(need)).map(get))
          pool += need
        }
        return { ops: s.completed, ms: s.elapsedMs, samplesMs: s.samplesMs }
      },
    })
    if (successShare({ statuses }) < 0.99) {
      throw new Error(`vault reads failed: ${JSON.stringify(statuses)}`)
    }
    ctx.log(
      `vault GET: repeated ${fmt(result.subject)}/s vs new ${fmt(result.baseline)}/s → ${fmt(result.ratio, 2)}`,
    )
    const latency = (l?: { p50: number; p99: number }) =>
      l ? `${sig(l.p50)} / ${sig(l.p99)} ms` : ''
    const rows: Row[] = [
      {
        measure: `vault GET secret, the same token each time (${CONNECTIONS} connections)`,
        value: `${fmt(result.subject)} req/s`,
        latency: latency(result.latencyMs),
        baseline: 'vault GET secret, a new token each time',
        baselineValue: `${fmt(result.baseline)} req/s, ${latency(result.baselineLatencyMs)}`,
        ratio: result.ratio,
      },
    ]
    return { available: true, rows, data: { ...result, statuses, sliceMs } }
  } finally {
    c.close()
    await lg.drop('vault repeated').catch(() => undefined)
    await lg.drop('vault new').catch(() => undefined)
  }
}
