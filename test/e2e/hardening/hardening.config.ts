// Shared setup for the attacker-side tests: one real `keyless up` with a vault and a storage
// account, and every verifier Keyless has, each reached the way a client reaches it (HTTPS to
// ARM, Graph, the vault, blob, the hosts and events APIs; keyless/verify in this process).
// `refuses(token)` answers whether that verifier refused the token as an invalid token, in its
// own protocol's format.
import { randomBytes } from 'node:crypto'
import { request } from 'node:https'
import { createVerifier, KeylessVerifyError } from '../../../src/verify/index.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https, type HttpResult } from '../../helpers/https.js'
import { arm } from '../../helpers/arm.js'
import { appToken, operatorToken } from '../../helpers/tokens.js'

export const SERVICE_AUDIENCE = 'api://orders'

export interface Verdict {
  /** The verifier answered "invalid token" (401) in its protocol's format. */
  refused: boolean
  /** What it answered, for assertion messages. */
  answer: string
}

export interface Verifier {
  name: string
  audience: string
  /** Presents `token` as a bearer token. */
  present(token: string): Promise<Verdict>
}

export interface HardeningEnv {
  k: KeylessProcess
  verifiers: Verifier[]
  /** A genuine token of the operator for `audience`. */
  genuine(audience: string): Promise<string>
  vaultUrl: string
  accountUrl: string
  dispose(): Promise<void>
}

const json = (r: HttpResult) => {
  try {
    return r.json()
  } catch {
    return undefined
  }
}

/** Resolves on the response's status line (an event stream never ends). */
function statusOf(url: string, headers: Record<string, string>, ca: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { headers, ca, agent: false }, (res) => {
      if (res.statusCode === 200) {
        res.destroy()
        return resolve({ status: 200, body: '' })
      }
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

export async function setUp(): Promise<HardeningEnv> {
  const k = await startKeyless()
  const call = arm(k, await operatorToken(k))
  const sub = `/subscriptions/${k.endpoints.subscriptionId}`
  const rg = `${sub}/resourceGroups/hardening-${randomBytes(3).toString('hex')}`
  const ok = (r: HttpResult, what: string) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`)
    return r
  }
  ok(await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' }), 'group')
  const vault = ok(
    await call(
      'PUT',
      `${rg}/providers/Microsoft.KeyVault/vaults/hkv${randomBytes(3).toString('hex')}?api-version=2023-07-01`,
      {
        location: 'eastus',
        properties: {
          tenantId: k.endpoints.tenantId,
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: true,
        },
      },
    ),
    'vault',
  )
  const account = `hacct${randomBytes(4).toString('hex')}`
  ok(
    await call(
      'PUT',
      `${rg}/providers/Microsoft.Storage/storageAccounts/${account}?api-version=2023-05-01`,
      {
        location: 'eastus',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
      },
    ),
    'storage account',
  )
  // By address: the test process is not under `keyless run`, where vault names resolve.
  const props = vault.json().properties
  const vaultUrl = String(props.vaultUriByAddress ?? props.vaultUri).replace(/\/$/, '')
  const accountUrl = `${String(k.endpoints.blobEndpoint).replace(/\/$/, '')}/${account}`
  const authority = k.endpoints.authorityHost
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const library = createVerifier({
    authority,
    tenantId: k.endpoints.tenantId,
    audience: SERVICE_AUDIENCE,
    ca: k.ca,
    cacheSize: 0,
  })
  const envelope401 = (r: HttpResult): Verdict => ({
    refused: r.status === 401 && typeof json(r)?.error?.code === 'string',
    answer: `${r.status} ${r.text.slice(0, 300)}`,
  })
  const verifiers: Verifier[] = [
    {
      name: 'ARM',
      audience: k.endpoints.managementEndpoint,
      present: async (t) =>
        envelope401(
          await https(
            `${k.endpoints.managementEndpoint}${sub}/resourcegroups?api-version=2021-04-01`,
            {
              headers: bearer(t),
              ca: k.ca,
            },
          ),
        ),
    },
    {
      name: 'Graph',
      audience: 'https://graph.microsoft.com',
      present: async (t) => {
        const r = await https(`${k.endpoints.managementEndpoint}/v1.0/servicePrincipals`, {
          headers: bearer(t),
          ca: k.ca,
        })
        return {
          refused: r.status === 401 && json(r)?.error?.code === 'InvalidAuthenticationToken',
          answer: `${r.status} ${r.text.slice(0, 300)}`,
        }
      },
    },
    {
      name: 'vault',
      audience: 'https://vault.azure.net',
      present: async (t) => {
        const r = await https(`${vaultUrl}/secrets?api-version=7.4`, {
          headers: bearer(t),
          ca: k.ca,
        })
        return {
          refused: r.status === 401 && json(r)?.error?.code === 'Unauthorized',
          answer: `${r.status} ${r.text.slice(0, 300)}`,
        }
      },
    },
    {
      name: 'blob',
      audience: 'https://storage.azure.com',
      present: async (t) => {
        const r = await https(`${accountUrl}/?comp=list`, {
          headers: { ...bearer(t), 'x-ms-version': '2023-11-03' },
          ca: k.ca,
        })
        return {
          refused: r.status === 401 && /<Code>InvalidAuthenticationInfo<\/Code>/.test(r.text),
          answer: `${r.status} ${r.text.slice(0, 300)}`,
        }
      },
    },
    {
      name: 'hosts API',
      audience: k.endpoints.managementEndpoint,
      present: async (t) =>
        envelope401(await https(`${authority}/keyless/v1/hosts`, { headers: bearer(t), ca: k.ca })),
    },
    {
      name: 'events API',
      audience: k.endpoints.managementEndpoint,
      present: async (t) => {
        const r = await statusOf(`${authority}/keyless/v1/events`, bearer(t), k.ca)
        let code: unknown
        try {
          code = JSON.parse(r.body).error?.code
        } catch {
          code = undefined
        }
        return {
          refused: r.status === 401 && typeof code === 'string',
          answer: `${r.status} ${r.body}`,
        }
      },
    },
    {
      name: 'keyless/verify',
      audience: SERVICE_AUDIENCE,
      present: async (t) => {
        try {
          await library.verify(t)
          return { refused: false, answer: 'accepted' }
        } catch (e) {
          if (!(e instanceof KeylessVerifyError)) throw e
          return { refused: e.status === 401, answer: `${e.status} ${e.code} ${e.message}` }
        }
      },
    },
  ]
  return {
    k,
    verifiers,
    genuine: (audience) => appToken(k, audience),
    vaultUrl,
    accountUrl,
    dispose: () => k.dispose(),
  }
}
