// 2b. Verification by a data plane: a Key Vault secret read (`GET /secrets/{name}`) from
// `keyless up`, over keep-alive HTTPS from the load core, with the same bearer token on every
// request (the verified-token cache answers) beside a token never presented before on each
// request (full signature verification). Everything else the vault does per request (principal
// lookup, RBAC decision, secret read) is the same on both sides, so the ratio is what the cache
// saves of a whole request. Beside both, a bare node:https server on the same core answers the
// same JSON over the same kind of certificate (P-256): what Node's TLS and HTTP cost alone.
import { createCertificateAuthority, issueCertificate, LOCAL_NAMES } from '../../src/common/pki.js'
import { startBareServer } from '../lib/bare.js'
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
/**
 * Vault GET (token cached) over bare node:https answering the same JSON. Issue 12 asks for 0.5;
 * measured 0.11 on a quiet machine (2026-12-07), so the row reports the goal but is not checked
 * until the path gets there (bench/README.md, "Targets still missed").
 */
const BARE_GOAL = 0.5

/** A bare node:https server answering `body` at `path`, with a fresh P-256 certificate. */
async function startBareVault(path: string, body: string) {
  const now = Date.now()
  const ca = await createCertificateAuthority('bench bare CA', {
    now,
    validityDays: 1,
    permitted: LOCAL_NAMES,
  })
  const leaf = await issueCertificate(ca, {
    now,
    validityDays: 1,
    // Not the address: a name-constrained CA holds a dotted common name to its DNS rules.
    commonName: 'bench bare vault',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  })
  const server = await startBareServer(
    {},
    { exact: { [path]: body }, tls: { certPem: leaf.certPem, keyPem: leaf.keyPem! } },
  )
  return { ...server, ca: ca.certPem }
}

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
  const repeated = (await mint(1))[0]!
  const sample = await c.send('GET', url, { authorization: `Bearer ${repeated}` })
  if (sample.status !== 200) throw new Error(`vault GET: ${sample.status} ${sample.text}`)
  const bare = await startBareVault(target.pathname, sample.text)
  try {
    await lg.open('vault repeated', {
      ...spec,
      connections: CONNECTIONS,
      requests: [get(repeated)],
      reuse: true,
    })
    const bareUrl = new URL(`https://127.0.0.1:${bare.port}${target.pathname}${target.search}`)
    await lg.open('vault bare', {
      host: '127.0.0.1',
      port: bare.port,
      ca: bare.ca,
      connections: CONNECTIONS,
      requests: [rawRequest('GET', bareUrl, { authorization: `Bearer ${repeated}` })],
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
    const measured = async (id: string) => {
      const s = await slice(id)
      return { ops: s.completed, ms: s.elapsedMs, samplesMs: s.samplesMs, slice: s }
    }
    const paired = { rounds: ctx.rounds, slicesPerRound: 2, warmupMs: ctx.quick ? 600 : 1000 }
    const result = await pairedSlices({
      ...paired,
      subject: () => measured('vault repeated'),
      baseline: async () => {
        const s = (await measured('vault new')).slice
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
    const againstBare = await pairedSlices({
      ...paired,
      subject: () => measured('vault repeated'),
      baseline: () => measured('vault bare'),
    })
    if (successShare({ statuses }) < 0.99) {
      throw new Error(`vault reads failed: ${JSON.stringify(statuses)}`)
    }
    ctx.log(
      `vault GET: repeated ${fmt(result.subject)}/s vs new ${fmt(result.baseline)}/s → ${fmt(result.ratio, 2)}; ` +
        `vs bare node:https ${fmt(againstBare.baseline)}/s → ${fmt(againstBare.ratio, 2)}`,
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
      {
        measure: `vault GET secret, the same token each time (${CONNECTIONS} connections)`,
        value: `${fmt(againstBare.subject)} req/s`,
        latency: latency(againstBare.latencyMs),
        baseline: `bare node:https, the same ${Buffer.byteLength(sample.text)} B JSON`,
        baselineValue: `${fmt(againstBare.baseline)} req/s, ${latency(againstBare.baselineLatencyMs)}`,
        ratio: againstBare.ratio,
        goal: BARE_GOAL,
      },
    ]
    return {
      available: true,
      rows,
      data: { ...result, againstBare, statuses, sliceMs },
    }
  } finally {
    c.close()
    await lg.drop('vault repeated').catch(() => undefined)
    await lg.drop('vault new').catch(() => undefined)
    await lg.drop('vault bare').catch(() => undefined)
    await bare.dispose()
  }
}
