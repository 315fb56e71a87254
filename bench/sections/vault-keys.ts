// 8. Vault keys: `POST /keys/{name}/{version}/sign` on `keyless up` (RS256 with an RSA 2048 key,
// ES256 with a P-256 key), the same request over keep-alive HTTPS connections from the load core,
// beside raw `crypto.sign` of the same algorithm in a process on the server's core, alternated in
// slices. The vault's request also verifies the token (cached), checks RBAC, reads the key row,
// opens its sealed private JWK and signs a digest.
import { createHash } from 'node:crypto'
import { armClient, client, operatorToken, type Keyless } from '../lib/keyless.js'
import { rawRequest, successShare } from '../lib/load.js'
import { pairedSlices } from '../lib/paired.js'
import type { Row } from '../lib/report.js'
import type { Context, Outcome, Section } from '../lib/section.js'
import { startSigner } from '../lib/signer.js'
import type { Algorithm } from '../lib/sign-rate.js'
import { fmt, sig } from '../lib/stats.js'
import { assignRole, createVault, KV_API, oidOf, rbacAnswers, VAULT_SCOPE } from '../lib/vault.js'

const CRYPTO_OFFICER = '14b46e9e-c2b7-41b4-b07b-48a6ebf60603'
const CONNECTIONS = 16

/** A key of each kind in a fresh vault; the sign URL of each and the token to use. */
async function signTargets(k: Keyless) {
  const c = client(k)
  try {
    const operator = await operatorToken(k, c)
    const arm = armClient(k, c, operator)
    const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/bench-vault-keys`
    await arm('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
    if (!(await rbacAnswers(k, arm, rg))) return { reason: 'the RBAC API does not answer' }
    const vault = await createVault(arm, k, rg, 'benchkeys')
    if (!vault.vaultUri) return { reason: 'vaults have no `properties.vaultUri`' }
    await assignRole(arm, k, vault.id, CRYPTO_OFFICER, oidOf(operator))
    const token = await operatorToken(k, c, VAULT_SCOPE)
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const base = vault.vaultUri.replace(/\/$/, '')
    const create = async (name: string, body: unknown) => {
      // The assignment reaches the vault's RBAC index through the change feed: retry briefly.
      const deadline = Date.now() + 10_000
      for (;;) {
        const res = await c.send(
          'POST',
          `${base}/keys/${name}/create?${KV_API}`,
          headers,
          JSON.stringify(body),
        )
        if (res.status === 200) return res.json().key.kid as string
        if (res.status === 404) return undefined
        if (Date.now() > deadline) throw new Error(`create key: ${res.status} ${res.text}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    const rs = await create('bench-rsa', { kty: 'RSA', key_size: 2048 })
    if (rs === undefined) return { reason: 'the vault has no keys' }
    const es = (await create('bench-ec', { kty: 'EC', crv: 'P-256' }))!
    return { headers, kids: { RS256: rs, ES256: es } as Record<'RS256' | 'ES256', string> }
  } finally {
    c.close()
  }
}

async function measure(
  ctx: Context,
  k: Keyless,
  alg: 'RS256' | 'ES256',
  kid: string,
  headers: Record<string, string>,
) {
  const lg = await ctx.loadgen()
  const id = `vault sign ${alg}`
  const signer = await startSigner(alg as Algorithm, 32)
  const url = new URL(`${kid}/sign?${KV_API}`)
  const value = createHash('sha256').update('bench').digest('base64url')
  try {
    await lg.open(id, {
      host: url.hostname,
      port: Number(url.port),
      ca: k.ca,
      connections: CONNECTIONS,
      requests: [rawRequest('POST', url, headers, JSON.stringify({ alg, value }))],
      reuse: true,
    })
    const statuses: Record<string, number> = {}
    const sliceMs = ctx.quick ? 300 : 500
    const result = await pairedSlices({
      rounds: ctx.rounds,
      slicesPerRound: 2,
      warmupMs: ctx.quick ? 800 : 1500,
      subject: async () => {
        const s = await lg.run(id, sliceMs)
        for (const [code, n] of Object.entries(s.statuses))
          statuses[code] = (statuses[code] ?? 0) + n
        return { ops: s.completed, ms: s.elapsedMs, samplesMs: s.samplesMs }
      },
      baseline: () => signer.slice(sliceMs),
    })
    if (successShare({ statuses }) < 0.99)
      throw new Error(`vault sign failed: ${JSON.stringify(statuses)}`)
    ctx.log(
      `vault sign ${alg}: ${fmt(result.subject)}/s vs raw ${fmt(result.baseline)}/s → ${fmt(result.ratio, 2)}`,
    )
    return { ...result, statuses, sliceMs }
  } finally {
    await lg.drop(id).catch(() => undefined)
    await signer.close()
  }
}

export const vaultKeys: Section = {
  id: 'vault-keys',
  title: '8. Vault keys',
  async run(ctx): Promise<Outcome> {
    const k = await ctx.shared()
    const targets = await signTargets(k)
    if ('reason' in targets) return { status: 'unavailable', summary: targets.reason! }
    const rows: Row[] = []
    const data: Record<string, unknown> = {}
    const latency = (l?: { p50: number; p99: number }) =>
      l ? `${sig(l.p50)} / ${sig(l.p99)} ms` : ''
    for (const alg of ['RS256', 'ES256'] as const) {
      const r = await measure(ctx, k, alg, targets.kids[alg], targets.headers)
      data[alg] = r
      rows.push({
        measure: `vault sign ${alg} (${alg === 'RS256' ? 'RSA 2048' : 'P-256'}, ${CONNECTIONS} connections)`,
        value: `${fmt(r.subject)} req/s`,
        latency: latency(r.latencyMs),
        baseline: `raw crypto.sign ${alg}, on the server core`,
        baselineValue: `${fmt(r.baseline)} /s`,
        ratio: r.ratio,
      })
    }
    return { status: 'ok', rows, data }
  },
}
