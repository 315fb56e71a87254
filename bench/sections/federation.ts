// 11. Federated token exchange. The token endpoint of `keyless up` trading external tokens (a
// GitHub-Actions-shaped RS256 JWT from the test issuer, src/cli/test-issuer.ts) for a
// user-assigned identity's token, over keep-alive connections from the load core, beside raw
// RS256 `crypto.sign` in a process on the server's core. The issuer's JWKS is warm (fetched by
// the probe, cached for `federation.keysCacheSeconds`), so every request costs: the form parse,
// the identity and its credentials, an RS256 verification of the assertion, the match, the
// single-use record of its `jti` in the store, and the signature of the new token. Every
// assertion is presented once (a second presentation is a replay), minted before its slice.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestIssuer, type NamedIssuer } from '../../src/cli/test-issuer.js'
import { tokenEndpointPath } from '../../src/common/agent-protocol.js'
import { armClient, client, operatorToken, startKeyless } from '../lib/keyless.js'
import { rawRequest, successShare } from '../lib/load.js'
import { pairedSlices } from '../lib/paired.js'
import type { Context, Outcome, Section } from '../lib/section.js'
import { startSigner } from '../lib/signer.js'
import { fmt, sig } from '../lib/stats.js'
import { freePort } from '../../test/helpers/free-port.js'

const CONNECTIONS = 32
const SUBJECT = 'repo:octo-org/octo-repo:environment:bench'
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export const federation: Section = {
  id: 'federation',
  title: '11. Federated token exchange',
  async run(ctx: Context): Promise<Outcome> {
    const port = await freePort()
    const issuerUrl = `https://127.0.0.1:${port}/bench`
    const cfgDir = mkdtempSync(join(tmpdir(), 'keyless-bench-fed-'))
    const cfg = join(cfgDir, 'config.json')
    writeFileSync(cfg, JSON.stringify({ federation: { privateIssuers: [issuerUrl] } }))
    const k = await startKeyless({ args: ['--config', cfg] })
    const c = client(k)
    const lg = await ctx.loadgen()
    const signer = await startSigner('RS256')
    const issuers = await startTestIssuer({
      ca: {
        certPem: readFileSync(join(k.dataDir, 'ca.crt'), 'utf8'),
        keyPem: readFileSync(join(k.dataDir, 'ca.key'), 'utf8'),
      },
      port,
    })
    const id = 'federated exchange'
    try {
      const issuer: NamedIssuer = await issuers.issuer('bench', 'github-actions')
      const arm = armClient(k, c, await operatorToken(k, c))
      const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/federation`
      await arm('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
      const uami = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ci-bench`
      const created = await arm('PUT', `${uami}?api-version=2024-11-30`, { location: 'eastus' })
      const clientId = created.json().properties.clientId as string
      await arm('PUT', `${uami}/federatedIdentityCredentials/bench?api-version=2024-11-30`, {
        properties: { issuer: issuer.url, subject: SUBJECT },
      })
      const endpoint = `${k.endpoints.authorityHost}${tokenEndpointPath(k.endpoints.tenantId)}`
      const url = new URL(endpoint)
      const form = (assertion: string) =>
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: assertion,
          scope: 'https://management.azure.com/.default',
        }).toString()
      const requests = async (n: number) => {
        const out: string[] = []
        for (let i = 0; i < n; i++) {
          const body = form(await issuer.mint(SUBJECT))
          out.push(
            rawRequest('POST', url, { 'content-type': 'application/x-www-form-urlencoded' }, body),
          )
        }
        return out
      }
      // The probe fetches discovery and JWKS: the measured exchanges find them cached.
      const probe = await c.send(
        'POST',
        endpoint,
        { 'content-type': 'application/x-www-form-urlencoded' },
        form(await issuer.mint(SUBJECT)),
      )
      if (probe.status !== 200) throw new Error(`federated exchange: ${probe.status} ${probe.text}`)
      const sliceMs = ctx.quick ? 400 : 500
      let pool = ctx.quick ? 1500 : 3000
      let fastest = 500
      await lg.open(id, {
        host: url.hostname,
        port: Number(url.port),
        ca: k.ca,
        connections: CONNECTIONS,
        requests: await requests(pool),
        reuse: false,
      })
      const statuses: Record<string, number> = {}
      let failure: string | undefined
      const result = await pairedSlices({
        rounds: ctx.rounds,
        slicesPerRound: 2,
        warmupMs: ctx.quick ? 1500 : 3000,
        subject: async () => {
          const s = await lg.run(id, sliceMs)
          for (const [code, n] of Object.entries(s.statuses))
            statuses[code] = (statuses[code] ?? 0) + n
          failure ??= s.firstFailure
          pool -= s.completed + s.errors
          fastest = Math.max(fastest, (s.completed * 1000) / s.elapsedMs)
          const need = Math.ceil((fastest * sliceMs * 2) / 1000)
          if (pool < need) {
            await lg.add(id, await requests(need))
            pool += need
          }
          return { ops: s.completed, ms: s.elapsedMs, samplesMs: s.samplesMs }
        },
        baseline: () => signer.slice(sliceMs),
      })
      if (successShare({ statuses }) < 0.99) {
        throw new Error(`federated exchanges failed: ${JSON.stringify(statuses)} ${failure}`)
      }
      ctx.log(
        `federated exchange: ${fmt(result.subject)}/s vs raw ${fmt(result.baseline)}/s → ${fmt(result.ratio, 2)}`,
      )
      return {
        status: 'ok',
        summary:
          'External RS256 tokens (GitHub Actions claims, test issuer, warm JWKS cache) traded at ' +
          "the token endpoint of `keyless up` for a user-assigned identity's token, beside raw " +
          'RS256 `crypto.sign` on the server core in the same run.',
        rows: [
          {
            measure: `federated exchange, RS256 assertion, warm JWKS (${CONNECTIONS} connections)`,
            value: `${fmt(result.subject)} tokens/s`,
            latency: result.latencyMs
              ? `${sig(result.latencyMs.p50)} / ${sig(result.latencyMs.p99)} ms`
              : '',
            baseline: 'raw crypto.sign RS256, server core',
            baselineValue: `${fmt(result.baseline)} /s`,
            ratio: result.ratio,
          },
        ],
        notes: [
          'Per exchange the server verifies an RS256 signature (the assertion) and makes one ' +
            '(the new token), and records the assertion as used in the store; the baseline ' +
            'makes one signature. No target yet: the ratio is reported.',
        ],
        data: { ...result, statuses, connections: CONNECTIONS, sliceMs },
      }
    } finally {
      c.close()
      await lg.drop(id).catch(() => undefined)
      await signer.close()
      await issuers.close()
      await k.dispose()
      rmSync(cfgDir, { recursive: true, force: true })
    }
  },
}
