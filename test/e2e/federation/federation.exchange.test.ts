// The token exchange with stock clients: @azure/identity's WorkloadIdentityCredential (a token
// file, as the AKS webhook mounts it) and ClientAssertionCredential (a callback), and the
// Python azure-identity ClientAssertionCredential from Debian's python3-azure. Each gets the
// user-assigned identity's normal token from a test issuer's token, and uses it at ARM.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { ClientAssertionCredential, WorkloadIdentityCredential } from '@azure/identity'
import { arm as armCall } from '../../helpers/arm.js'
import { startFederation, type FederationEnv } from './federation.config.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(
  import.meta.dirname,
  '../../../../test/e2e/federation/fixtures/client_assertion.py',
)
const ARM_SCOPE = 'https://management.azure.com/.default'
const probe = spawnSync(
  PYTHON,
  ['-c', 'import azure.identity; print(azure.identity.__version__)'],
  {
    encoding: 'utf8',
  },
)
const python = probe.status === 0 ? probe.stdout.trim() : undefined
const hasPythonWorkload =
  python !== undefined &&
  spawnSync(PYTHON, ['-c', 'from azure.identity import WorkloadIdentityCredential']).status === 0

describe('federated token exchange with stock clients', () => {
  let env: FederationEnv
  let dir: string
  const subject = 'repo:octo-org/octo-repo:environment:prod'

  before(async () => {
    env = await startFederation(['gh'])
    await env.trust('prod', { issuer: env.issuer.gh!.url, subject })
    dir = mkdtempSync(join(tmpdir(), 'keyless-fed-'))
  })
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    await env?.dispose()
  })

  async function assertArmToken(token: string) {
    const claims = decodeJwt(token)
    assert.equal(claims.oid, env.identity.principalId)
    assert.equal(claims.appid, env.identity.clientId)
    assert.equal(String(claims.xms_mirid).toLowerCase(), env.identity.id.toLowerCase())
    const res = await armCall(env.arm.k, token)(
      'GET',
      `${env.arm.group(env.rg)}?api-version=2025-04-01`,
    )
    assert.equal(res.status, 200, res.text)
    assert.equal(res.json().name, env.rg)
  }

  const options = () => ({
    authorityHost: env.arm.k.endpoints.authorityHost,
    disableInstanceDiscovery: true,
  })

  it('WorkloadIdentityCredential trades the token file for a token that ARM accepts', async () => {
    const file = join(dir, 'azure-identity-token')
    writeFileSync(file, await env.issuer.gh!.mint(subject))
    const credential = new WorkloadIdentityCredential({
      tenantId: env.arm.tenantId,
      clientId: env.identity.clientId,
      tokenFilePath: file,
      ...options(),
    })
    const { token } = await credential.getToken(ARM_SCOPE)
    await assertArmToken(token)
  })

  it('ClientAssertionCredential trades the assertion its callback returns', async () => {
    let calls = 0
    const credential = new ClientAssertionCredential(
      env.arm.tenantId,
      env.identity.clientId,
      () => {
        calls++
        return env.issuer.gh!.mint(subject)
      },
      options(),
    )
    const { token } = await credential.getToken(ARM_SCOPE)
    await assertArmToken(token)
    assert.ok(calls >= 1)
  })

  it("refuses a stock client whose token no credential matches, with Entra's code", async () => {
    const credential = new ClientAssertionCredential(
      env.arm.tenantId,
      env.identity.clientId,
      () => env.issuer.gh!.mint('repo:octo-org/octo-repo:ref:refs/heads/feature'),
      options(),
    )
    await assert.rejects(credential.getToken(ARM_SCOPE), /AADSTS700213/)
  })

  it('a claimsMatchingExpression credential admits every branch of one repository', async () => {
    await env.trust(
      'any-branch',
      {
        issuer: env.issuer.gh!.url,
        claimsMatchingExpression: {
          value:
            "claims['sub'] matches 'repo:octo-org/octo-repo:ref:refs/heads/*' and claims['repository_owner'] eq 'octo-org'",
          languageVersion: 1,
        },
      },
      '2025-01-31-preview',
    )
    const feature = await env.exchange(
      await env.issuer.gh!.mint('repo:octo-org/octo-repo:ref:refs/heads/feature-7'),
    )
    assert.equal(feature.status, 200, feature.text)
    await assertArmToken(feature.json().access_token)
    const tag = await env.exchange(
      await env.issuer.gh!.mint('repo:octo-org/octo-repo:ref:refs/tags/v1'),
    )
    assert.equal(tag.status, 400, tag.text)
    assert.deepEqual(tag.json().error_codes, [700213])
    assert.match(
      tag.json().error_description,
      /in credential 'any-branch' claims\['sub'\] matches 'repo:octo-org\/octo-repo:ref:refs\/heads\/\*' is false \(the claim is 'repo:octo-org\/octo-repo:ref:refs\/tags\/v1'\)/,
    )
  })

  it('refuses an expression that does not parse, in the ARM envelope', async () => {
    const res = await env.arm.request(
      'PUT',
      `${env.identity.id}/federatedIdentityCredentials/broken`,
      {
        body: {
          properties: {
            issuer: env.issuer.gh!.url,
            claimsMatchingExpression: { value: "claims['sub'] like 'x'", languageVersion: 1 },
          },
        },
        apiVersion: '2025-01-31-preview',
      },
    )
    assert.equal(res.status, 400, res.text)
    assert.equal(res.json().error.code, 'BadRequest')
    assert.equal(res.json().error.target, 'properties.claimsMatchingExpression.value')
    assert.match(res.json().error.message, /expected 'matches' or 'eq'/)
  })

  it(
    'Python ClientAssertionCredential gets a token that ARM accepts',
    { skip: python ? false : 'Debian python3-azure (azure-identity) is not installed' },
    async () => {
      const file = join(dir, 'python-token')
      writeFileSync(file, await env.issuer.gh!.mint(subject))
      const ca = join(dir, 'ca.pem')
      writeFileSync(ca, env.arm.k.ca)
      const run = spawnSync(
        PYTHON,
        [SCRIPT, env.arm.tenantId, env.identity.clientId, file, ARM_SCOPE],
        {
          encoding: 'utf8',
          timeout: 120_000,
          env: {
            ...process.env,
            AZURE_AUTHORITY_HOST: env.arm.k.endpoints.authorityHost,
            REQUESTS_CA_BUNDLE: ca,
          },
        },
      )
      assert.equal(run.status, 0, run.stderr)
      await assertArmToken(run.stdout.trim())
    },
  )

  it(
    'Python WorkloadIdentityCredential',
    {
      skip: hasPythonWorkload
        ? 'covered by ClientAssertionCredential, which it wraps'
        : `Debian's azure-identity ${python ?? '(absent)'} has no WorkloadIdentityCredential`,
    },
    () => undefined,
  )
})
