// 2. Token verification by keyless/verify (createVerifier), for one token presented again and
// again (a cache hit) and for tokens it has never seen, beside jose.jwtVerify with a local JWKS
// and raw crypto.verify of the same tokens, all in this process.
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose'
import { createVerifier } from '../../src/verify/index.js'
import { client, operatorTokens } from '../lib/keyless.js'
import { pairedSlices } from '../lib/paired.js'
import { interleaveItems, timedSlice } from '../lib/rate.js'
import type { Row } from '../lib/report.js'
import type { Outcome, Section } from '../lib/section.js'
import { fmt, median, sig, summarize, type Latency } from '../lib/stats.js'
import { measureVaultVerification } from './vault-verification.js'

export const REPEATED_TARGET = 10
export const NEW_TARGET = 1.0
const AUDIENCE = 'api://bench'

function rawVerifier(keys: Map<string, KeyObject>) {
  return (token: string) => {
    const dot1 = token.indexOf('.')
    const dot2 = token.lastIndexOf('.')
    const header = JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString())
    const ok = verify(
      'sha256',
      Buffer.from(token.slice(0, dot2)),
      keys.get(header.kid)!,
      Buffer.from(token.slice(dot2 + 1), 'base64url'),
    )
    if (!ok) throw new Error('bad signature')
  }
}

export const verification: Section = {
  id: 'verification',
  title: '2. Token verification',
  async run(ctx): Promise<Outcome> {
    const k = await ctx.shared()
    const c = client(k)
    const n = ctx.quick ? 1000 : 4000
    const sliceMs = ctx.quick ? 40 : 100
    let tokens: string[]
    let jwks: { keys: JWK[] }
    try {
      tokens = await operatorTokens(k, c, n + 1, `${AUDIENCE}/.default`)
      jwks = (await c.send('GET', k.endpoints.jwksUri)).json()
    } finally {
      c.close()
    }
    const [probe, ...fresh] = tokens
    const issuer = k.endpoints.issuer
    const options = { authority: k.endpoints.authorityHost, tenantId: k.endpoints.tenantId }
    const newVerifier = async () => {
      const v = createVerifier({ ...options, audience: AUDIENCE, ca: k.ca })
      await v.verify(probe!) // fetches JWKS, outside the timing
      return v
    }
    const local = createLocalJWKSet(jwks)
    const jose = (t: string) =>
      jwtVerify(t, local, { issuer, audience: AUDIENCE, algorithms: ['RS256'] })
    const keys = new Map(
      jwks.keys.map((j) => [j.kid!, createPublicKey({ key: j as never, format: 'jwk' })]),
    )
    const raw = rawVerifier(keys)

    // Warm every path up.
    const warm = await newVerifier()
    for (const t of fresh.slice(0, 200)) {
      await warm.verify(t)
      await jose(t)
      raw(t)
    }
    // A token presented again: the verifier's cache against the two baselines.
    const again = (f: () => unknown) => () => timedSlice(f, sliceMs)
    const slices = { rounds: ctx.rounds, slicesPerRound: ctx.quick ? 3 : 8, warmupMs: 100 }
    const rep = await pairedSlices({
      ...slices,
      subject: again(() => warm.verify(probe!)),
      baseline: again(() => jose(probe!)),
    })
    const repRaw = await pairedSlices({
      ...slices,
      subject: again(() => warm.verify(probe!)),
      baseline: again(() => raw(probe!)),
    })
    // Never-seen tokens: a new verifier each round, chunks of tokens taken in turn by each.
    const chunkRatios: number[][] = [[], [], []]
    const rates: number[][] = [[], [], []]
    const latencies: Latency[] = []
    for (let r = 0; r < ctx.rounds; r++) {
      const v = await newVerifier()
      const seen = await interleaveItems(fresh, [(t) => v.verify(t), jose, raw], { timed: 0 })
      for (let f = 0; f < 3; f++) {
        chunkRatios[f]!.push(...seen.chunkRatios[f]!)
        rates[f]!.push(seen.rates[f]!)
      }
      latencies.push(summarize(seen.samplesMs))
    }
    const nw = {
      subject: median(rates[0]!),
      baseline: median(rates[1]!),
      ratio: median(chunkRatios[1]!),
    }
    const nwRaw = {
      subject: nw.subject,
      baseline: median(rates[2]!),
      ratio: median(chunkRatios[2]!),
    }
    const joseRaw = {
      subject: nw.baseline,
      baseline: nwRaw.baseline,
      ratio: median(chunkRatios[2]!.map((x, i) => x / chunkRatios[1]![i]!)),
    }
    const latency = `${sig(median(latencies.map((l) => l.p50)) * 1000)} / ${sig(median(latencies.map((l) => l.p99)) * 1000)} µs`
    ctx.log(
      `repeated: ${fmt(rep.subject)}/s vs jwtVerify ${fmt(rep.baseline)}/s → ${fmt(rep.ratio, 1)}`,
    )
    ctx.log(`new: ${fmt(nw.subject)}/s vs jwtVerify ${fmt(nw.baseline)}/s → ${fmt(nw.ratio, 2)}`)
    const rows: Row[] = [
      {
        measure: 'verifier, repeated token (cache hit)',
        value: `${fmt(rep.subject)} /s`,
        baseline: 'jose.jwtVerify, local JWKS',
        baselineValue: `${fmt(rep.baseline)} /s`,
        ratio: rep.ratio,
        target: REPEATED_TARGET,
      },
      {
        measure: 'verifier, repeated token (cache hit)',
        value: `${fmt(repRaw.subject)} /s`,
        baseline: 'raw crypto.verify RS256',
        baselineValue: `${fmt(repRaw.baseline)} /s`,
        ratio: repRaw.ratio,
      },
      {
        measure: `verifier, never-seen tokens (${fmt(n)} distinct)`,
        value: `${fmt(nw.subject)} /s`,
        latency,
        baseline: 'jose.jwtVerify, local JWKS',
        baselineValue: `${fmt(nw.baseline)} /s`,
        ratio: nw.ratio,
        target: NEW_TARGET,
      },
      {
        measure: `verifier, never-seen tokens (${fmt(n)} distinct)`,
        value: `${fmt(nwRaw.subject)} /s`,
        baseline: 'raw crypto.verify RS256',
        baselineValue: `${fmt(nwRaw.baseline)} /s`,
        ratio: nwRaw.ratio,
      },
      {
        measure: 'jose.jwtVerify, never-seen tokens',
        value: `${fmt(joseRaw.subject)} /s`,
        baseline: 'raw crypto.verify RS256',
        baselineValue: `${fmt(joseRaw.baseline)} /s`,
        ratio: joseRaw.ratio,
      },
    ]
    // A failure there (an available feature) fails the section, the rows above still shown.
    const vault = await measureVaultVerification(ctx, k).catch((e: Error) => e)
    if (vault instanceof Error) {
      return {
        status: 'failed',
        summary: `the vault GET measure failed: ${vault.message.split('\n')[0]}`,
        rows,
        data: { tokens: n, sliceMs, repeated: { rep, repRaw }, newTokens: { nw, nwRaw, joseRaw } },
      }
    }
    const notes: string[] = []
    if (vault.available) {
      rows.push(...vault.rows)
      notes.push(
        'Vault GET: `keyless up` serves the vault; the load generator reads one secret over ' +
          'keep-alive HTTPS, with the same token on every request (verified once, then from the ' +
          'verified-token cache) beside a token never presented before on each request. The ' +
          'principal and RBAC checks run on every request on both sides.',
      )
    } else {
      notes.push(`Verification by the data plane (vault GET): not available yet (${vault.reason}).`)
    }
    return {
      status: 'ok',
      summary:
        'In this process, one verification at a time. Tokens are RS256 (the server default), ' +
        'minted by `keyless up` for `api://bench`. Each never-seen round uses a new verifier ' +
        '(empty cache, JWKS fetched before timing) over the same distinct tokens.',
      rows,
      notes,
      data: {
        tokens: n,
        sliceMs,
        repeated: { rep, repRaw },
        newTokens: { nw, nwRaw, joseRaw },
        vault: vault.available ? vault.data : vault.reason,
      },
    }
  },
}
