// Property-based fuzzing of every HTTP surface (issue 11.5): random methods, paths, queries,
// headers, JSON and XML bodies, content types and (lying) lengths, with genuine, forged and
// absent credentials. The property, for every request: no 5xx (a 503 only with Retry-After, as
// a deliberate "try later"), an error in the surface's own format, and the server still up;
// after each surface, the server's memory has stayed bounded.
//
// Seeded and bounded for CI (KEYLESS_FUZZ_RUNS requests per surface, default 120, seed
// KEYLESS_FUZZ_SEED, default 11); scripts/fuzz.sh runs it long with a fresh seed.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import { https } from '../../helpers/https.js'
import { setUp, type HardeningEnv } from './hardening.config.js'
import { fuzzRequests, send, type FuzzAnswer, type FuzzRequest } from './fuzz-requests.js'

const RUNS = Number(process.env.KEYLESS_FUZZ_RUNS ?? 120)
const SEED = Number(process.env.KEYLESS_FUZZ_SEED ?? 11)
const MEMORY_GROWTH_LIMIT = 300 * 1024 * 1024

type Format = (a: FuzzAnswer, r: FuzzRequest) => boolean

const parse = (s: string): any => {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}
const armEnvelope = (a: FuzzAnswer) => typeof parse(a.body)?.error?.code === 'string'
const oauthOrEnvelope = (a: FuzzAnswer) => {
  const e = parse(a.body)?.error
  return typeof e === 'string' || typeof e?.code === 'string'
}
const blobXml: Format = (a, r) =>
  r.method === 'HEAD'
    ? typeof a.headers['x-ms-error-code'] === 'string'
    : /^<\?xml[^>]*>\s*<Error><Code>\w+<\/Code>/.test(a.body)
const jsonError = (a: FuzzAnswer) => parse(a.body)?.error !== undefined

interface Surface {
  name: string
  base: string
  prefix: string
  words: string[]
  audience?: string
  format: Format
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}

describe('no 5xx from bad input, on every surface', () => {
  let env: HardeningEnv
  const tally: Record<string, Record<number, number>> = {}
  before(async () => {
    env = await setUp()
  })
  after(async () => {
    console.log(`fuzz seed ${SEED}, ${RUNS} runs per surface: ${JSON.stringify(tally)}`)
    await env?.dispose()
  })

  async function identityEndpoint(): Promise<string | undefined> {
    for (let i = 0; i < 200; i++) {
      const e = JSON.parse(readFileSync(`${env.k.dataDir}/endpoints.json`, 'utf8'))
      if (typeof e.identityEndpoint === 'string') return e.identityEndpoint
      await sleep(100)
    }
    return undefined
  }

  async function surfaces(): Promise<Surface[]> {
    const { k } = env
    const sub = `/subscriptions/${k.endpoints.subscriptionId}`
    const list: Surface[] = [
      {
        name: 'ARM',
        base: k.endpoints.managementEndpoint,
        prefix: '',
        audience: k.endpoints.managementEndpoint,
        words: [
          sub.slice(1).split('/')[0]!,
          k.endpoints.subscriptionId,
          'subscriptions',
          'resourceGroups',
          'resourcegroups',
          'fuzz-rg',
          'providers',
          'Microsoft.ManagedIdentity',
          'userAssignedIdentities',
          'Microsoft.Compute',
          'virtualMachines',
          'Microsoft.Web',
          'sites',
          'slots',
          'Microsoft.Authorization',
          'roleAssignments',
          'roleDefinitions',
          'denyAssignments',
          'Microsoft.KeyVault',
          'vaults',
          'Microsoft.Storage',
          'storageAccounts',
          'checkAccess',
          'operations',
          'resources',
          'identities',
        ],
        format: (a) => armEnvelope(a),
      },
      {
        name: 'Graph',
        base: k.endpoints.managementEndpoint,
        prefix: '/v1.0',
        audience: 'https://graph.microsoft.com',
        words: ['servicePrincipals', 'serviceprincipals', '$count', 'x'],
        format: (a) => typeof parse(a.body)?.error?.code === 'string',
      },
      {
        name: 'STS',
        base: k.endpoints.authorityHost,
        prefix: `/${k.endpoints.tenantId}`,
        words: [
          'oauth2',
          'v2.0',
          'token',
          'authorize',
          'discovery',
          'keys',
          '.well-known',
          'openid-configuration',
          'keyless',
          'revocations',
          k.endpoints.tenantId,
          'common',
        ],
        format: (a) => oauthOrEnvelope(a),
      },
      {
        name: 'hosts and events API',
        base: k.endpoints.authorityHost,
        prefix: '/keyless/v1',
        audience: k.endpoints.managementEndpoint,
        words: ['hosts', 'joinTokens', 'enroll', 'renew', 'revoke', 'events', 'x'],
        format: (a) => armEnvelope(a),
      },
      {
        name: 'vault',
        base: env.vaultUrl,
        prefix: '',
        audience: 'https://vault.azure.net',
        words: ['secrets', 'deletedsecrets', 'backup', 'restore', 'recover', 'versions', 's1'],
        format: (a, r) => r.method === 'HEAD' || jsonError(a),
      },
      {
        name: 'blob',
        base: String(k.endpoints.blobEndpoint),
        prefix: `/${env.accountUrl.split('/').pop()}`,
        audience: 'https://storage.azure.com',
        words: ['c1', 'b1', 'c1/b1', '$root', '$logs', 'dir', 'a.txt'],
        format: blobXml,
      },
    ]
    const identity = await identityEndpoint()
    if (identity) {
      list.push({
        name: 'identity endpoint',
        base: new URL(identity).origin,
        prefix: '',
        words: ['msi', 'token', 'metadata', 'identity', 'oauth2', 'instance'],
        format: (a, r) => r.method === 'HEAD' || a.body === '' || parse(a.body) !== undefined,
      })
    } else console.log('the identity endpoint did not appear in endpoints.json: not fuzzed')
    return list
  }

  it('answers every random request without a 5xx, in the surface format, and stays up', async () => {
    const pid = env.k.child.pid!
    const rssBefore = rssOf(pid)
    for (const s of await surfaces()) {
      const genuine = s.audience ? await env.genuine(s.audience) : 'x'
      const authorizations = [
        `Bearer ${genuine}`,
        'Bearer x.y.z',
        'Bearer ',
        'Basic YTpi',
        'SharedKey a:b',
        `Bearer ${'A'.repeat(9000)}`,
        `Bearer ${genuine}.${genuine}`,
      ]
      const counts: Record<number, number> = (tally[s.name] = {})
      await fc.assert(
        fc.asyncProperty(fuzzRequests(s.prefix, s.words, authorizations), async (r) => {
          const a = await send(s.base, r, env.k.ca)
          counts[a.status] = (counts[a.status] ?? 0) + 1
          const deliberate = a.status === 503 && a.headers['retry-after'] !== undefined
          const what = `${s.name}: ${r.method} ${r.path} ${JSON.stringify(r.headers).slice(0, 300)} body ${r.body?.length ?? 0}B${r.lyingLength === undefined ? '' : ` (says ${r.lyingLength})`} → ${a.status} ${a.body.slice(0, 300)}`
          assert.ok(a.status < 500 || deliberate, what)
          // A lying length gets a raw (maybe chunked) answer; HEAD answers have no body (blob
          // still names its code in x-ms-error-code).
          const raw = r.lyingLength !== undefined
          const bodiless = r.method === 'HEAD' && s.name !== 'blob'
          if (a.status >= 400 && !raw && !bodiless)
            assert.ok(s.format(a, r), `not in the ${s.name} format: ${what}`)
          assert.equal(env.k.child.exitCode, null, `the server exited after ${what}`)
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
      )
      const alive = await https(`${env.k.endpoints.jwksUri}`, { ca: env.k.ca })
      assert.equal(alive.status, 200, `the server stopped answering after the ${s.name} fuzz`)
    }
    const growth = rssOf(pid) - rssBefore
    console.log(`server RSS grew by ${(growth / 1048576).toFixed(1)} MiB over the fuzz`)
    assert.ok(growth < MEMORY_GROWTH_LIMIT, `RSS grew by ${growth} bytes`)
  })
})
