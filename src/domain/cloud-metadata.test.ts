import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cloudMetadata, type CloudEndpoints } from './cloud-metadata.js'

const CLOUD: CloudEndpoints = {
  name: 'Keyless',
  baseUrl: 'https://127.0.0.1:8443',
  audiences: ['https://management.azure.com/', 'https://management.core.windows.net/'],
}

describe('cloud metadata document', () => {
  it('before 2019-05-01: the object msrestazure reads (graphEndpoint, authentication)', () => {
    for (const v of ['2015-01-01', '2018-01-01', '2019-04-30-preview']) {
      assert.deepEqual(cloudMetadata(v, CLOUD), {
        galleryEndpoint: 'https://127.0.0.1:8443/',
        graphEndpoint: 'https://127.0.0.1:8443/',
        portalEndpoint: 'https://127.0.0.1:8443/',
        authentication: {
          loginEndpoint: 'https://127.0.0.1:8443/adfs',
          audiences: [...CLOUD.audiences],
        },
      })
    }
  })

  it('2019-05-01 up to 2022-09-01: an array of named clouds', () => {
    for (const v of ['2019-05-01', '2020-06-01', '2022-08-31']) {
      const doc = cloudMetadata(v, CLOUD) as Record<string, unknown>[]
      assert.ok(Array.isArray(doc), v)
      assert.equal(doc.length, 1)
      assert.equal(doc[0]!.name, 'Keyless')
      assert.equal(doc[0]!.resourceManager, 'https://127.0.0.1:8443/')
    }
  })

  it('from 2022-09-01: the answering cloud alone, the AD FS login and Graph on Keyless', () => {
    assert.deepEqual(cloudMetadata('2022-09-01', { ...CLOUD, keyVaultDns: 'vault.kl.test' }), {
      name: 'Keyless',
      portal: 'https://127.0.0.1:8443/',
      authentication: {
        loginEndpoint: 'https://127.0.0.1:8443/adfs',
        audiences: [...CLOUD.audiences],
        tenant: 'adfs',
        identityProvider: 'ADFS',
      },
      resourceManager: 'https://127.0.0.1:8443/',
      graph: 'https://127.0.0.1:8443/',
      graphAudience: 'https://127.0.0.1:8443/',
      microsoftGraphResourceId: 'https://127.0.0.1:8443/',
      suffixes: { keyVaultDns: 'vault.kl.test' },
    })
    assert.deepEqual((cloudMetadata('2025-01-01', CLOUD) as { suffixes: object }).suffixes, {})
  })
})
