// What the sign-in log costs at the token endpoint: managed-identity tokens end to end (RS256,
// host certificate on the connection, 32 connections) from a `keyless up` that records every
// request, beside the same requests to a second one started with KEYLESS_SIGN_IN_LOG=off, in
// alternating slices of the same run. Both are started fresh for this row (the shared server
// has served other rows and holds more data), so neither is warmer or larger than the other. Both servers are pinned to
// the server core; only the one being measured is busy. A goal, not a checked target.
import { tlsClientCertificate } from '../lib/host.js'
import { client, startKeyless, type Keyless } from '../lib/keyless.js'
import { successShare } from '../lib/load.js'
import { pairedSlices } from '../lib/paired.js'
import type { Row } from '../lib/report.js'
import type { Context } from '../lib/section.js'
import { fmt, sig } from '../lib/stats.js'
import { issuanceFixture, tokenRequests } from './issuance.js'

export const SIGN_IN_LOG_GOAL = 0.9
const CONNECTIONS = 32

async function target(ctx: Context, k: Keyless, id: string) {
  const c = client(k)
  try {
    const { host, vm } = await issuanceFixture(k, c, id)
    const url = new URL(host.tokenEndpoint)
    const lg = await ctx.loadgen()
    await lg.open(id, {
      host: url.hostname,
      port: Number(url.port),
      ca: k.ca,
      connections: CONNECTIONS,
      requests: tokenRequests(host, vm, 64, 'tls_client_auth'),
      reuse: true,
      ...tlsClientCertificate(host),
    })
    return id
  } finally {
    c.close()
  }
}

export async function measureSignInLogCost(ctx: Context): Promise<{ row: Row; data: unknown }> {
  const withLog = await startKeyless()
  const off = await startKeyless({ env: { KEYLESS_SIGN_IN_LOG: 'off' } })
  const lg = await ctx.loadgen()
  const ids: string[] = []
  try {
    const on = await target(ctx, withLog, 'signin-log-on')
    ids.push(on)
    const without = await target(ctx, off, 'signin-log-off')
    ids.push(without)
    const statuses: Record<string, number> = {}
    const sliceMs = ctx.quick ? 400 : 500
    const slice = async (id: string) => {
      const s = await lg.run(id, sliceMs)
      for (const [code, n] of Object.entries(s.statuses)) statuses[code] = (statuses[code] ?? 0) + n
      return { ops: s.completed, ms: s.elapsedMs, samplesMs: s.samplesMs }
    }
    const result = await pairedSlices({
      rounds: ctx.rounds,
      slicesPerRound: ctx.quick ? 2 : 4,
      warmupMs: 3000,
      subject: () => slice(on),
      baseline: () => slice(without),
    })
    if (successShare({ statuses }) < 0.99) {
      throw new Error(`token requests failed: ${JSON.stringify(statuses)}`)
    }
    ctx.log(
      `issuance with sign-in log: ${fmt(result.subject)}/s vs off ${fmt(result.baseline)}/s → ${fmt(result.ratio, 2)}`,
    )
    return {
      row: {
        measure: `end to end, RS256, host certificate, sign-in log on (${CONNECTIONS} connections)`,
        value: `${fmt(result.subject)} tokens/s`,
        latency: result.latencyMs
          ? `${sig(result.latencyMs.p50)} / ${sig(result.latencyMs.p99)} ms`
          : '',
        baseline: 'the same requests, sign-in log off (KEYLESS_SIGN_IN_LOG=off)',
        baselineValue: `${fmt(result.baseline)} /s`,
        ratio: result.ratio,
        goal: SIGN_IN_LOG_GOAL,
      },
      data: { ...result, statuses },
    }
  } finally {
    for (const id of ids) await lg.drop(id)
    await off.dispose()
    await withLog.dispose()
  }
}
