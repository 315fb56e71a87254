import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { checkClaims, checkPolicy, decodeToken, tenantOfIssuer } from './token-policy.js'

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const policy = checkPolicy({
  issuer: `https://127.0.0.1:8443/${TENANT}/`,
  tenantId: TENANT,
  algorithms: ['RS256'],
  maxLifetimeSeconds: 86_400,
  skewSeconds: 300,
})
const NOW = 1_800_000_000
const claims = {
  iss: policy.issuer,
  aud: 'api://a',
  iat: NOW,
  nbf: NOW,
  exp: NOW + 3600,
  oid: 'o',
  tid: TENANT,
  ver: '1.0',
}
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

describe('token policy', () => {
  it('refuses a skew above 5 minutes and an empty algorithm list as configuration errors', () => {
    assert.throws(() => checkPolicy({ ...policy, skewSeconds: 301 }), TypeError)
    assert.throws(() => checkPolicy({ ...policy, algorithms: [] }), TypeError)
  })

  const claimRows: [string, Record<string, unknown>, string | undefined][] = [
    ['genuine', {}, undefined],
    ['no exp', { exp: undefined }, 'claims'],
    ['a fractional iat', { iat: NOW + 0.5 }, 'claims'],
    ['an unsafe integer exp', { exp: 2 ** 60 }, 'claims'],
    ['a lifetime of 24 h plus the skew', { exp: NOW + 86_400 + 300 }, undefined],
    ['a lifetime over 24 h plus the skew', { exp: NOW + 86_400 + 301 }, 'claims'],
    ['an iat beyond the skew in the future', { iat: NOW + 301, exp: NOW + 4000 }, 'not-yet-valid'],
    ['an iat within the skew in the future', { iat: NOW + 300, exp: NOW + 4000 }, undefined],
    ['exp reached beyond the skew', { iat: NOW - 4000, exp: NOW - 300 }, 'expired'],
    ['another tid', { tid: 'x' }, 'issuer'],
    ['ver 2.0', { ver: '2.0' }, 'claims'],
  ]
  for (const [name, change, reason] of claimRows) {
    it(`claims: ${name} → ${reason ?? 'accepted'}`, () => {
      assert.equal(checkClaims({ ...claims, ...change }, policy, NOW)?.reason, reason)
    })
  }

  it('reads the tenant from the issuer path', () => {
    assert.equal(tenantOfIssuer(policy.issuer), TENANT)
    assert.equal(tenantOfIssuer('not a url'), undefined)
  })

  const headerRows: [string, Record<string, unknown>, boolean][] = [
    ['genuine', { alg: 'RS256', typ: 'JWT', kid: 'k', x5t: 'k' }, true],
    ['no kid', { alg: 'RS256', typ: 'JWT' }, false],
    ['jku', { alg: 'RS256', kid: 'k', jku: 'https://x' }, false],
    ['x5c', { alg: 'RS256', kid: 'k', x5c: ['MII'] }, false],
    ['ES256', { alg: 'ES256', kid: 'k' }, false],
  ]
  for (const [name, header, ok] of headerRows) {
    it(`header: ${name} → ${ok ? 'accepted' : 'refused'}`, () => {
      const decoded = decodeToken(`${b64(header)}.${b64(claims)}.sig`, policy)
      assert.equal('header' in decoded, ok)
    })
  }

  it('refuses before parsing a token or header over the limits, and JWE', () => {
    assert.equal('reason' in decodeToken('a'.repeat(8193), policy), true)
    assert.match(
      (decodeToken(`${'a'.repeat(600)}.b.c`, policy) as { message: string }).message,
      /header is too long/,
    )
    assert.match((decodeToken('a.b.c.d.e', policy) as { message: string }).message, /JWE/)
  })
})
