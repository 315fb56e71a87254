import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { issuerForAudience, nextExportWindow, staticDiscovery } from './oidc-issuer.js'

const V1 = 'https://keyless.local:8443/tid/'
const PUBLIC = 'https://oidc.example.com/keyless'

describe('oidc issuer', () => {
  it('gives the public issuer to the federation audiences only', () => {
    const s = {
      publicIssuer: PUBLIC,
      audiences: ['api://AzureADTokenExchange', 'sts.amazonaws.com'],
    }
    assert.equal(issuerForAudience(s, V1, 'api://AzureADTokenExchange'), PUBLIC)
    assert.equal(issuerForAudience(s, V1, 'api://AzureADTokenExchange/'), PUBLIC)
    assert.equal(issuerForAudience(s, V1, 'sts.amazonaws.com'), PUBLIC)
    assert.equal(issuerForAudience(s, V1, 'https://management.azure.com/'), V1)
    assert.equal(issuerForAudience({ ...s, publicIssuer: null }, V1, 'sts.amazonaws.com'), V1)
  })

  it('puts jwks_uri beside the discovery document', () => {
    assert.equal(staticDiscovery(PUBLIC, 'RS256').jwks_uri, `${PUBLIC}/discovery/keys`)
    assert.equal(
      staticDiscovery(V1, 'RS256').jwks_uri,
      'https://keyless.local:8443/tid/discovery/keys',
    )
  })

  it('says when to export again: before a published successor activates', () => {
    const key = (kid: string, createdAt: number, activateAt: number, retireAt: number) => ({
      kid,
      createdAt,
      activateAt,
      retireAt,
      expireAt: retireAt + 100,
    })
    const policy = { prePublishMs: 50 }
    assert.deepEqual(nextExportWindow([key('a', 0, 0, 1000)], policy, 10), {
      after: 950,
      before: 1000,
    })
    assert.deepEqual(
      nextExportWindow([key('a', 0, 0, 1000), key('b', 950, 1000, 2000)], policy, 960),
      { after: 960, before: 1000 },
    )
    assert.equal(nextExportWindow([], policy, 10), undefined)
  })
})
