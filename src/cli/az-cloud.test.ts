import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { azCloudCommands, azCloudScript, keyVaultSuffix } from './az-cloud.js'

const DOC = {
  name: 'Keyless',
  resourceManager: 'https://127.0.0.1:8443/',
  microsoftGraphResourceId: 'https://127.0.0.1:8443/',
}

describe('keyless az-cloud', () => {
  it('registers by ARM URL alone, sets Graph through --cloud-config, then activates', () => {
    assert.deepEqual(azCloudCommands(DOC), [
      ['az', 'cloud', 'register', '--name', 'Keyless',
        '--endpoint-resource-manager', 'https://127.0.0.1:8443'], // prettier-ignore
      ['az', 'cloud', 'update', '--name', 'Keyless', '--cloud-config',
        '{"endpoints":{"microsoftGraphResourceId":"https://127.0.0.1:8443/"}}'], // prettier-ignore
      ['az', 'cloud', 'set', '--name', 'Keyless'],
    ])
  })

  it('updates a cloud az already knows, and passes the Key Vault suffix with its dot', () => {
    const [first, second] = azCloudCommands(
      { ...DOC, suffixes: { keyVaultDns: 'vault.kl.test' } },
      true,
    )
    assert.equal(first![2], 'update')
    assert.deepEqual(JSON.parse(second![6]!), {
      endpoints: { microsoftGraphResourceId: 'https://127.0.0.1:8443/' },
      suffixes: { keyvaultDns: '.vault.kl.test' },
    })
  })

  it('prints shell lines: the CA export first, JSON single-quoted', () => {
    const lines = azCloudScript(DOC, "/tmp/it's/ca.crt").split('\n')
    assert.equal(lines[0], `export REQUESTS_CA_BUNDLE='/tmp/it'\\''s/ca.crt'`)
    assert.equal(
      lines[1],
      'az cloud register --name Keyless --endpoint-resource-manager https://127.0.0.1:8443',
    )
    assert.match(lines[2]!, / --cloud-config '\{"endpoints":\{.*\}\}'$/)
    assert.equal(lines[3], 'az cloud set --name Keyless')
    assert.equal(lines.length, 4)
    const hint = azCloudScript(DOC, '/ca.crt', undefined, {
      clientId: 'c1',
      tenantId: 't1',
      credentialFile: '/d/admin.json',
    }).split('\n')
    assert.equal(
      hint[4],
      '# then: az login --service-principal --username c1 --tenant t1 --password <clientSecret in /d/admin.json>',
    )
  })

  it('puts the vault port into the Key Vault suffix, which az appends to the vault name', () => {
    assert.equal(keyVaultSuffix('https://{vault}.vault.kl.test:44321/'), '.vault.kl.test:44321')
    assert.equal(keyVaultSuffix('https://{vault}.vault.kl.test:443/'), '.vault.kl.test')
    assert.equal(keyVaultSuffix('https://127.0.0.1:{port}/'), undefined)
    const [, update] = azCloudCommands(DOC, false, '.vault.kl.test:44321')
    assert.equal(JSON.parse(update![6]!).suffixes.keyvaultDns, '.vault.kl.test:44321')
  })
})
