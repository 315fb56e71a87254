// The vault as `keyless up` serves it, configured by the operator: with `vaultHostSuffix`, every
// vault is `https://<vault>.<suffix>:<port>/` on one listener, the server's certificate covers
// `*.<suffix>`, and an unmodified SecretClient passes its challenge check; after a restart on
// the same data directory, vaults keep their URL and their secrets.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { Agent } from 'node:https'
import type { LookupFunction } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ClientSecretCredential } from '@azure/identity'
import { SecretClient } from '@azure/keyvault-secrets'
import { startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { ROLES } from './vault.config.js'

const SUFFIX = 'vault.keyless.test'

// Names under the suffix do not resolve on this machine; the client's agent sends them to
// loopback, as a hosts file or a DNS zone would.
const toLoopback: LookupFunction = (_host, options, cb) =>
  (options as { all?: boolean }).all
    ? (cb as any)(null, [{ address: '127.0.0.1', family: 4 }])
    : (cb as any)(null, '127.0.0.1', 4)

describe('vaults served by keyless up with a host-name scheme', () => {
  const dataDir = tempDataDir()
  let k: KeylessProcess
  let vaultId: string
  let vaultUri: string

  const client = (kp: KeylessProcess, url: string) =>
    new SecretClient(
      url,
      new ClientSecretCredential(kp.endpoints.tenantId, kp.admin.clientId, kp.admin.clientSecret, {
        authorityHost: kp.endpoints.authorityHost,
        disableInstanceDiscovery: true,
      }),
      { agent: new Agent({ ca: kp.ca, lookup: toLoopback }), retryOptions: { maxRetries: 0 } },
    )

  before(async () => {
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ vaultHostSuffix: SUFFIX }))
    k = await startKeyless({ dataDir })
    const call = arm(k, await operatorToken(k))
    const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/named-rg`
    await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
    const put = await call(
      'PUT',
      `${rg}/providers/Microsoft.KeyVault/vaults/kv-named?api-version=2023-07-01`,
      {
        location: 'eastus',
        properties: { tenantId: k.endpoints.tenantId, sku: { family: 'A', name: 'standard' } },
      },
    )
    assert.equal(put.status, 201, put.text)
    vaultId = put.json().id
    vaultUri = put.json().properties.vaultUri
    // The operator is Owner, which grants no data actions: it needs a Key Vault role too.
    const assignment = await call(
      'PUT',
      `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`,
      {
        properties: {
          roleDefinitionId: ROLES.officer,
          principalId: await operatorObjectId(k),
          principalType: 'ServicePrincipal',
        },
      },
    )
    assert.equal(assignment.status, 201, assignment.text)
  })
  after(async () => k?.dispose())

  it('publishes the scheme and serves each vault under its own name', () => {
    const port = /:(\d+)\/$/.exec(k.endpoints.vaultEndpoint as string)?.[1]
    assert.equal(k.endpoints.vaultEndpoint, `https://{vault}.${SUFFIX}:${port}/`)
    assert.equal(vaultUri, `https://kv-named.${SUFFIX}:${port}/`)
  })

  it('lets an unmodified SecretClient pass the challenge check and use the vault', async () => {
    const secrets = client(k, vaultUri)
    const set = await secrets.setSecret('by-name', 'hello')
    assert.equal(set.properties.vaultUrl, vaultUri.replace(/\/$/, ''))
    assert.equal((await secrets.getSecret('by-name')).value, 'hello')
  })

  it('keeps the vault URL and its secrets across a restart', async () => {
    assert.equal(await k.stop(), 0)
    k = await startKeyless({ dataDir })
    const call = arm(k, await operatorToken(k))
    const got = await call('GET', `${vaultId}?api-version=2023-07-01`)
    assert.equal(got.json().properties.vaultUri, vaultUri)
    assert.equal((await client(k, vaultUri).getSecret('by-name')).value, 'hello')
  })
})

/** The operator's object id, from its own token (the `oid` claim). */
async function operatorObjectId(k: KeylessProcess): Promise<string> {
  const token = await operatorToken(k)
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid
}
