// Federated identity credentials over ARM, driven by the real @azure/arm-msi client (api-version
// 2024-11-30) against a real `keyless up`, and the refusals in Azure's error envelope over plain
// HTTPS. Deleting the identity takes its credentials in the same transaction.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ClientSecretCredential } from '@azure/identity'
import { ManagedServiceIdentityClient } from '@azure/arm-msi'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOCATION, startArm, type Arm } from '../arm/arm.config.js'
import { tempDataDir } from '../../helpers/keyless.js'

const GH = 'https://token.actions.githubusercontent.com'
const FIC = 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials'

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('federated identity credentials over ARM', () => {
  let arm: Arm
  let client: ManagedServiceIdentityClient
  const rg = 'fic-rg'
  const fic = (identity: string, name: string) =>
    `${arm.identity(rg, identity)}/federatedIdentityCredentials/${name}`

  before(async () => {
    // Azure's cap of 20, configured: the default is 1,000 (docs/federation.md).
    const dataDir = tempDataDir()
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ maxFederatedCredentials: 20 }))
    arm = await startArm({ dataDir })
    const { endpoints, admin } = arm.k
    const credential = new ClientSecretCredential(
      endpoints.tenantId,
      admin.clientId,
      admin.clientSecret,
      { authorityHost: endpoints.authorityHost, disableInstanceDiscovery: true },
    )
    client = new ManagedServiceIdentityClient(credential, endpoints.subscriptionId, {
      endpoint: endpoints.managementEndpoint,
      credentialScopes: ['https://management.azure.com/.default'],
    })
    const res = await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })
    assert.equal(res.status, 201, res.text)
    await client.userAssignedIdentities.createOrUpdate(rg, 'ci-id', { location: LOCATION })
  })
  after(async () => arm?.dispose())

  it('creates, replaces, gets, lists and deletes a credential with the SDK', async () => {
    const created = await client.federatedIdentityCredentials.createOrUpdate(
      rg,
      'ci-id',
      'GitHub-Main',
      {
        issuer: GH,
        subject: 'repo:octo/app:ref:refs/heads/main',
        audiences: ['api://AzureADTokenExchange'],
      },
    )
    assert.equal(created.id, fic('ci-id', 'GitHub-Main'))
    assert.equal(created.name, 'GitHub-Main')
    assert.equal(created.type, FIC)
    assert.equal(created.subject, 'repo:octo/app:ref:refs/heads/main')

    const replaced = await client.federatedIdentityCredentials.createOrUpdate(
      rg,
      'ci-id',
      'github-main',
      {
        issuer: GH,
        subject: 'repo:octo/app:environment:prod',
        audiences: ['api://AzureADTokenExchange'],
      },
    )
    assert.equal(replaced.name, 'GitHub-Main', 'the creation casing is kept')
    assert.equal(replaced.subject, 'repo:octo/app:environment:prod')

    const got = await client.federatedIdentityCredentials.get(rg, 'CI-ID', 'GITHUB-MAIN')
    assert.deepEqual(got.audiences, ['api://AzureADTokenExchange'])
    assert.equal(got.issuer, GH)

    const listed = await collect(client.federatedIdentityCredentials.list(rg, 'ci-id'))
    assert.deepEqual(
      listed.map((c) => c.name),
      ['GitHub-Main'],
    )

    await client.federatedIdentityCredentials.delete(rg, 'ci-id', 'GitHub-Main')
    await assert.rejects(client.federatedIdentityCredentials.get(rg, 'ci-id', 'GitHub-Main'), {
      statusCode: 404,
      code: 'NotFound',
    })
    assert.deepEqual(await collect(client.federatedIdentityCredentials.list(rg, 'ci-id')), [])
  })

  it('answers PUT 201 then 200, defaults the audience, and DELETE 200 then 204', async () => {
    const path = fic('ci-id', 'k8s')
    const body = {
      properties: {
        issuer: 'https://oidc.example.test/k8s',
        subject: 'system:serviceaccount:ns:sa',
      },
    }
    const first = await arm.request('PUT', path, { body })
    assert.equal(first.status, 201, first.text)
    assert.deepEqual(first.json().properties.audiences, ['api://AzureADTokenExchange'])
    assert.equal((await arm.request('PUT', path, { body })).status, 200)
    assert.equal((await arm.request('DELETE', path)).status, 200)
    assert.equal((await arm.request('DELETE', path)).status, 204)
  })

  it('stores the flexible claimsMatchingExpression form instead of a subject', async () => {
    const expression = { value: "claims['sub'] matches 'repo:octo/*'", languageVersion: 1 }
    const res = await arm.request('PUT', fic('ci-id', 'flex'), {
      body: { properties: { issuer: GH, claimsMatchingExpression: expression } },
      apiVersion: '2025-01-31-preview',
    })
    assert.equal(res.status, 201, res.text)
    assert.deepEqual(res.json().properties.claimsMatchingExpression, expression)
    assert.equal(res.json().properties.subject, undefined)
    await arm.request('DELETE', fic('ci-id', 'flex'))
  })

  const refusals: [string, string, unknown, number, string, string | undefined][] = [
    ['a short name', 'ab', { properties: { issuer: GH, subject: 's' } }, 400, 'BadRequest', 'name'],
    [
      'an http issuer',
      'c1',
      { properties: { issuer: 'http://x.test', subject: 's' } },
      400,
      'BadRequest',
      'properties.issuer',
    ],
    [
      'both subject and expression',
      'c2',
      {
        properties: {
          issuer: GH,
          subject: 's',
          claimsMatchingExpression: { value: 'x', languageVersion: 1 },
        },
      },
      400,
      'BadRequest',
      'properties.claimsMatchingExpression',
    ],
    [
      'neither subject nor expression',
      'c3',
      { properties: { issuer: GH } },
      400,
      'BadRequest',
      'properties.subject',
    ],
    [
      'two audiences',
      'c4',
      { properties: { issuer: GH, subject: 's', audiences: ['a', 'b'] } },
      400,
      'BadRequest',
      'properties.audiences',
    ],
  ]
  for (const [what, name, body, status, code, target] of refusals) {
    it(`refuses ${what} in ARM's envelope and stores nothing`, async () => {
      const res = await arm.request('PUT', fic('ci-id', name), { body })
      assert.equal(res.status, status, res.text)
      assert.equal(res.json().error.code, code)
      assert.equal(res.json().error.target, target)
      assert.equal((await arm.request('GET', fic('ci-id', name))).status, 404)
    })
  }

  it('refuses a second credential with the same issuer and subject as Conflict', async () => {
    const body = { properties: { issuer: GH, subject: 'repo:octo/app:pull_request' } }
    assert.equal((await arm.request('PUT', fic('ci-id', 'pr-1'), { body })).status, 201)
    const res = await arm.request('PUT', fic('ci-id', 'pr-2'), { body })
    assert.equal(res.status, 409, res.text)
    assert.equal(res.json().error.code, 'Conflict')
    assert.match(res.json().error.message, /'pr-1' already has issuer/)
    await arm.request('DELETE', fic('ci-id', 'pr-1'))
  })

  it("caps an identity at the configured maximum (here Azure's 20)", async () => {
    await client.userAssignedIdentities.createOrUpdate(rg, 'capped', { location: LOCATION })
    for (let i = 0; i < 20; i++) {
      const res = await arm.request('PUT', fic('capped', `c-${i}`), {
        body: { properties: { issuer: GH, subject: `s-${i}` } },
      })
      assert.equal(res.status, 201, res.text)
    }
    const res = await arm.request('PUT', fic('capped', 'c-20'), {
      body: { properties: { issuer: GH, subject: 's-20' } },
    })
    assert.equal(res.status, 400, res.text)
    assert.equal(res.json().error.code, 'BadRequest')
    assert.match(res.json().error.message, /Too many Federated Identity Credentials/)
    // Replacing one of the 20 is still allowed.
    const again = await arm.request('PUT', fic('capped', 'c-0'), {
      body: { properties: { issuer: GH, subject: 's-0b' } },
    })
    assert.equal(again.status, 200, again.text)
  })

  it('answers 404 ResourceNotFound for credentials of an identity that does not exist', async () => {
    const res = await arm.request(
      'GET',
      `${arm.identity(rg, 'nobody')}/federatedIdentityCredentials`,
    )
    assert.equal(res.status, 404, res.text)
    assert.equal(res.json().error.code, 'ResourceNotFound')
    const put = await arm.request('PUT', fic('nobody', 'x-1'), {
      body: { properties: { issuer: GH, subject: 's' } },
    })
    assert.equal(put.status, 404, put.text)
  })

  it('deletes the credentials with their identity, and a new identity of the same name has none', async () => {
    await client.userAssignedIdentities.createOrUpdate(rg, 'doomed', { location: LOCATION })
    await client.federatedIdentityCredentials.createOrUpdate(rg, 'doomed', 'one', {
      issuer: GH,
      subject: 'repo:octo/app:ref:refs/heads/main',
      audiences: ['api://AzureADTokenExchange'],
    })
    const identity = arm.identity(rg, 'doomed').toLowerCase()
    const store = await arm.openStore()
    try {
      assert.equal(await store.federatedCredentials.count(identity), 1)
      await client.userAssignedIdentities.delete(rg, 'doomed')
      assert.equal(await store.federatedCredentials.count(identity), 0)
    } finally {
      await store.close()
    }
    await client.userAssignedIdentities.createOrUpdate(rg, 'doomed', { location: LOCATION })
    assert.deepEqual(await collect(client.federatedIdentityCredentials.list(rg, 'doomed')), [])
  })
})
