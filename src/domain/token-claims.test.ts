import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  audienceFromScope,
  buildAccessTokenClaims,
  isResourceUri,
  sameAudience,
} from './token-claims.js'

describe('access token claims', () => {
  it('carry Entra v1 claims with sub equal to oid and integer times', () => {
    const c = buildAccessTokenClaims({
      issuer: 'https://h/t/',
      audience: 'https://management.azure.com/',
      tenantId: 't',
      subject: {
        objectId: 'o',
        appId: 'a',
        appidacr: '2',
        mirid: '/subscriptions/s/resourcegroups/g/providers/X/y/z',
      },
      now: 1_700_000_000_500,
      expiresAt: 1_700_086_400_900,
      tokenId: 'u',
    })
    assert.deepEqual(c, {
      aud: 'https://management.azure.com/',
      iss: 'https://h/t/',
      iat: 1_700_000_000,
      nbf: 1_700_000_000,
      exp: 1_700_086_400,
      oid: 'o',
      sub: 'o',
      tid: 't',
      appid: 'a',
      appidacr: '2',
      idtyp: 'app',
      uti: 'u',
      ver: '1.0',
      xms_mirid: '/subscriptions/s/resourcegroups/g/providers/X/y/z',
    })
  })
})

describe('audience from a v2 scope', () => {
  const cases: [string, string | undefined][] = [
    ['https://management.azure.com/.default', 'https://management.azure.com'],
    ['https://management.azure.com//.default', 'https://management.azure.com/'],
    ['api://my-service/.default', 'api://my-service'],
    ['https://vault.azure.net/.default https://storage.azure.com/.default', undefined],
    ['https://management.azure.com/user_impersonation', undefined],
    ['not a uri/.default', undefined],
    ['', undefined],
  ]
  for (const [scope, aud] of cases) {
    it(`maps '${scope}' to ${aud ?? 'an error'}`, () => assert.equal(audienceFromScope(scope), aud))
  }
  it('accepts GUID app ids and rejects URIs with credentials', () => {
    assert.ok(isResourceUri('0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9'))
    assert.ok(!isResourceUri('https://user:pw@host/'))
  })
  it('compares audiences without the trailing slash', () => {
    assert.ok(sameAudience('https://management.azure.com/', 'https://MANAGEMENT.azure.com'))
    assert.ok(!sameAudience('https://vault.azure.net', 'https://storage.azure.com'))
  })
})
