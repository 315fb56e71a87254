// Keyless tokens out, end to end between two installations. A is configured with a public
// issuer URL (federation.publicIssuer); `keyless oidc export` writes its discovery document and
// JWKS, published on a plain HTTPS static host. B has a user-assigned identity with a federated
// credential trusting A's issuer and the subject of a workload's identity on A. The workload, a
// program under `keyless run` on A using stock ManagedIdentityCredential,
// ClientAssertionCredential and SecretClient, gets a token from B and reads a secret in B's vault.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttps, type Server } from 'node:https'
import { createServer as createTcp } from 'node:net'
import { tmpdir } from 'node:os'
import { join, normalize } from 'node:path'
import { BIN, startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { arm as armCall, assignRole } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { https } from '../../helpers/https.js'
import { keyless } from '../agent/agent.config.js'
import { newTlsCertificate, tlsNames } from '../../../src/server/tls-material.js'

const FIXTURE = join(import.meta.dirname, 'federation-workload.fixture.js')
const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6'
const SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
const EXCHANGE = 'api://AzureADTokenExchange'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcp()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

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

    // A: a web app on A's own agent, with a system-assigned identity.
    const callA = armCall(a, await operatorToken(a))
    const rgA = `/subscriptions/${a.endpoints.subscriptionId}/resourceGroups/apps`
    await callA('PUT', `${rgA}?api-version=2025-04-01`, { location: 'eastus' })
    const siteRes = await callA(
      'PUT',
      `${rgA}/providers/Microsoft.Web/sites/exporter?api-version=2024-04-01`,
      {
        location: 'eastus',
        kind: 'app,linux',
        identity: { type: 'SystemAssigned' },
        properties: {},
      },
    )
    assert.ok(siteRes.status < 300, siteRes.text)
    workload = { id: siteRes.json().id, principalId: siteRes.json().identity.principalId }

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
    const fic = await callB(
      'PUT',
      `${target.id}/federatedIdentityCredentials/installation-a?api-version=2024-11-30`,
      {
        properties: { issuer: publicIssuer, subject: workload.principalId, audiences: [EXCHANGE] },
      },
    )
    assert.equal(fic.status, 201, fic.text)
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
    vaultUrl = vault.json().properties.vaultUri
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

  it('the workload trades its token from A for B’s identity and reads B’s secret', async () => {
    const env = {
      ...process.env,
      NODE_EXTRA_CA_CERTS: '',
      IDENTITY_ENDPOINT: '',
      IDENTITY_HEADER: '',
    }
    const input = {
      tenantId: b.endpoints.tenantId,
      clientId: target.clientId,
      authorityHost: b.endpoints.authorityHost,
      vaultUrl,
      secret: 'db-password',
    }
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'run',
          '--data-dir',
          a.dataDir,
          '--as',
          workload.id,
          '--',
          process.execPath,
          FIXTURE,
          JSON.stringify(input),
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let out = ''
      let err = ''
      child.stdout.on('data', (c: Buffer) => (out += String(c)))
      child.stderr.on('data', (c: Buffer) => (err += String(c)))
      child.once('exit', (code) => resolve({ code, out, err }))
    })
    assert.equal(r.code, 0, `${r.err}\n${r.out}`)
    const result = JSON.parse(r.out.trim().split('\n').pop()!)
    assert.equal(result.value, 's3cret-from-b')
    // A's token for the exchange audience carries the public issuer and the documented subject;
    // A's other tokens keep the v1 issuer its own services verify.
    assert.equal(result.assertion.iss, publicIssuer)
    assert.equal(result.assertion.sub, workload.principalId)
    assert.equal(result.assertion.aud, EXCHANGE)
    assert.equal(result.armIssuer, a.endpoints.issuer)
  })
})
