// Keyless tokens out, end to end between two installations. A is configured with a public
// issuer URL (federation.publicIssuer); `keyless oidc export` writes its discovery document and
// JWKS, published on a plain HTTPS static host. B has a user-assigned identity with a federated
// credential trusting A's issuer and the subject of a workload's identity on A. The workload, a
// program under `keyless run` on A using stock ManagedIdentityCredential,
// ClientAssertionCredential and SecretClient, gets a token from B and reads a secret in B's vault;
// so does its Python twin with Debian's azure-identity and azure-keyvault-secrets.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttps, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join, normalize } from 'node:path'
import { BIN, ROOT, startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { arm as armCall, assignRole } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { https } from '../../helpers/https.js'
import { keyless } from '../agent/agent.config.js'
import { newTlsCertificate, tlsNames } from '../../../src/server/tls-material.js'
import { freePort } from '../../helpers/free-port.js'

const FIXTURE = join(import.meta.dirname, 'federation-workload.fixture.js')
const PY_FIXTURE = join(ROOT, 'test/e2e/federation/fixtures/federation_workload.py')
const PYTHON = '/usr/bin/python3'
const hasPython =
  spawnSync(PYTHON, ['-c', 'import azure.identity, azure.keyvault.secrets'], { encoding: 'utf8' })
    .status === 0
const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6'
const SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
const EXCHANGE = 'api://AzureADTokenExchange'

function testCa() {
  const dir = process.env.KEYLESS_TEST_CA_DIR!
  return {
    certPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'ca.key'), 'utf8'),
  }
}

/** A static HTTPS file server over `root`, as an object store's website endpoint would be. */
async function staticHost(root: string, port: number): Promise<Server> {
  const tls = await newTlsCertificate(testCa(), tlsNames('127.0.0.1'), Date.now())
  const server = createHttps({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname))
    try {
      const body = readFileSync(join(root, path))
      res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return server
}

describe('two installations: a workload on A reads a secret in B through federation', () => {
  let a: KeylessProcess
  let b: KeylessProcess
  let site: Server
  let root: string
  let publicIssuer: string
  let workload: { id: string; principalId: string }
  let pyWorkload: { id: string; principalId: string }
  let target: { id: string; clientId: string; principalId: string }
  let vaultUrl: string

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'keyless-oidc-site-'))
    const port = await freePort()
    publicIssuer = `https://127.0.0.1:${port}/keyless-a`
    site = await staticHost(root, port)

    const aDir = tempDataDir()
    writeFileSync(join(aDir, 'config.json'), JSON.stringify({ federation: { publicIssuer } }))
    a = await startKeyless({ dataDir: aDir })
    const bDir = tempDataDir()
    writeFileSync(
      join(bDir, 'config.json'),
      JSON.stringify({ federation: { privateIssuers: [publicIssuer] } }),
    )
    b = await startKeyless({ dataDir: bDir })

    // A: web apps on A's own agent, each with a system-assigned identity. The JS and the Python
    // workload are separate apps: A's agent hands one app the same cached exchange token, which
    // B accepts once per resource (the replay guard), so two programs of one app reading the
    // same vault would share one trade.
    const callA = armCall(a, await operatorToken(a))
    const rgA = `/subscriptions/${a.endpoints.subscriptionId}/resourceGroups/apps`
    await callA('PUT', `${rgA}?api-version=2025-04-01`, { location: 'eastus' })
    const webApp = async (name: string) => {
      const res = await callA(
        'PUT',
        `${rgA}/providers/Microsoft.Web/sites/${name}?api-version=2024-04-01`,
        {
          location: 'eastus',
          kind: 'app,linux',
          identity: { type: 'SystemAssigned' },
          properties: {},
        },
      )
      assert.ok(res.status < 300, res.text)
      return { id: res.json().id, principalId: res.json().identity.principalId }
    }
    workload = await webApp('exporter')
    pyWorkload = await webApp('exporter-py')

    // B: a user-assigned identity trusting A's issuer for that workload, and a vault.
    const bToken = await operatorToken(b)
    const callB = armCall(b, bToken)
    const rgB = `/subscriptions/${b.endpoints.subscriptionId}/resourceGroups/shared`
    await callB('PUT', `${rgB}?api-version=2025-04-01`, { location: 'eastus' })
    const uami = await callB(
      'PUT',
      `${rgB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/from-a?api-version=2024-11-30`,
      { location: 'eastus' },
    )
    assert.equal(uami.status, 201, uami.text)
    target = {
      id: uami.json().id,
      clientId: uami.json().properties.clientId,
      principalId: uami.json().properties.principalId,
    }
    for (const [name, app] of [
      ['installation-a', workload],
      ['installation-a-py', pyWorkload],
    ] as const) {
      const fic = await callB(
        'PUT',
        `${target.id}/federatedIdentityCredentials/${name}?api-version=2024-11-30`,
        { properties: { issuer: publicIssuer, subject: app.principalId, audiences: [EXCHANGE] } },
      )
      assert.equal(fic.status, 201, fic.text)
    }
    const vault = await callB(
      'PUT',
      `${rgB}/providers/Microsoft.KeyVault/vaults/shared-kv?api-version=2023-07-01`,
      {
        location: 'eastus',
        properties: {
          tenantId: b.endpoints.tenantId,
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: true,
        },
      },
    )
    assert.ok(vault.status < 300, vault.text)
    // By address: B's vault names resolve only in programs B's own `keyless run` starts.
    vaultUrl = vault.json().properties.vaultUriByAddress
    const vaultId = vault.json().id
    await assignRole(callB, b.endpoints.subscriptionId, {
      scope: vaultId,
      role: SECRETS_USER,
      principalId: target.principalId,
    })
    // The operator seeds the secret (as Secrets Officer on the vault).
    const operatorOid = JSON.parse(Buffer.from(bToken.split('.')[1]!, 'base64url').toString()).oid
    await assignRole(callB, b.endpoints.subscriptionId, {
      scope: vaultId,
      role: SECRETS_OFFICER,
      principalId: operatorOid,
    })
    const vaultToken = (
      await https(`${b.endpoints.authorityHost}/${b.endpoints.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: b.admin.clientId,
          client_secret: b.admin.clientSecret,
          scope: 'https://vault.azure.net/.default',
        }).toString(),
        ca: b.ca,
      })
    ).json().access_token
    const put = await https(`${vaultUrl.replace(/\/$/, '')}/secrets/db-password?api-version=7.4`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 's3cret-from-b' }),
      ca: b.ca,
    })
    assert.equal(put.status, 200, put.text)
  })
  after(async () => {
    await a?.dispose()
    await b?.dispose()
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()))
    if (root) rmSync(root, { recursive: true, force: true })
  })

  it('keyless oidc export writes the discovery document and JWKS for the public issuer', async () => {
    const out = join(root, 'keyless-a')
    const r = await keyless(['oidc', 'export', '--data-dir', a.dataDir, '--out', out, '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const printed = JSON.parse(r.stdout)
    assert.equal(printed.issuer, publicIssuer)
    assert.ok(printed.exportAgain.before, 'says when to export again')
    const discovery = JSON.parse(
      readFileSync(join(out, '.well-known/openid-configuration'), 'utf8'),
    )
    assert.equal(discovery.issuer, publicIssuer)
    assert.equal(discovery.jwks_uri, `${publicIssuer}/discovery/keys`)
    const jwks = JSON.parse(readFileSync(join(out, 'discovery/keys'), 'utf8'))
    const live = (await https(a.endpoints.jwksUri, { ca: a.ca })).json()
    assert.deepEqual(jwks, live, 'the published JWKS is the live one')
    // Served from the static host, as a cloud would fetch it.
    const fetched = await https(`${publicIssuer}/.well-known/openid-configuration`, { ca: a.ca })
    assert.equal(fetched.json().issuer, publicIssuer)
  })

  /** Runs `program` under `keyless run --as <app>` on A; returns its last stdout line, parsed. */
  async function runOnA(app: string, program: string[], extraEnv: Record<string, string> = {}) {
    const env = {
      ...process.env,
      NODE_EXTRA_CA_CERTS: '',
      IDENTITY_ENDPOINT: '',
      IDENTITY_HEADER: '',
      ...extraEnv,
    }
    const args = [BIN, 'run', '--data-dir', a.dataDir, '--as', app, '--', ...program]
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stdout.on('data', (c: Buffer) => (out += String(c)))
      child.stderr.on('data', (c: Buffer) => (err += String(c)))
      child.once('exit', (code) => resolve({ code, out, err }))
    })
    assert.equal(r.code, 0, `${r.err}\n${r.out}`)
    return JSON.parse(r.out.trim().split('\n').pop()!)
  }

  /** What either workload reports: B's secret, read with A's token for the exchange audience. */
  function assertReadThroughFederation(result: any, app: { principalId: string }) {
    assert.equal(result.value, 's3cret-from-b')
    // A's token for the exchange audience carries the public issuer and the documented subject;
    // A's other tokens keep the v1 issuer its own services verify.
    assert.equal(result.assertion.iss, publicIssuer)
    assert.equal(result.assertion.sub, app.principalId)
    assert.equal(result.assertion.aud, EXCHANGE)
    assert.equal(result.armIssuer, a.endpoints.issuer)
  }

  it('the workload trades its token from A for B’s identity and reads B’s secret', async () => {
    const input = {
      tenantId: b.endpoints.tenantId,
      clientId: target.clientId,
      authorityHost: b.endpoints.authorityHost,
      vaultUrl,
      secret: 'db-password',
    }
    assertReadThroughFederation(
      await runOnA(workload.id, [process.execPath, FIXTURE, JSON.stringify(input)]),
      workload,
    )
  })

  it(
    'the same workload in Python (Debian azure-identity, azure-keyvault-secrets) reads B’s secret',
    { skip: hasPython ? false : 'Debian python3-azure is not installed' },
    async () => {
      const input = {
        tenantId: b.endpoints.tenantId,
        clientId: target.clientId,
        vaultUrl,
        secret: 'db-password',
      }
      // `keyless run` gives Python REQUESTS_CA_BUNDLE (public roots plus the Keyless CA, which
      // B's certificates chain to as well); B's authority is the user's own setting.
      const result = await runOnA(pyWorkload.id, [PYTHON, PY_FIXTURE, JSON.stringify(input)], {
        AZURE_AUTHORITY_HOST: b.endpoints.authorityHost,
      })
      assertReadThroughFederation(result, pyWorkload)
    },
  )
})
