import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from './config.js'

describe('federation configuration: the public issuer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-config-'))
  const load = (federation: Record<string, unknown>) =>
    loadConfig({ dataDir: dir, federation } as never, {})

  it('defaults to the v1 issuer and the exchange audience', () => {
    const c = load({})
    assert.equal(c.federation.publicIssuer, null)
    assert.deepEqual(c.federation.issuerAudiences, ['api://AzureADTokenExchange'])
  })

  it('takes an https URL and a list of audiences', () => {
    const c = load({
      publicIssuer: 'https://oidc.example.com/keyless',
      issuerAudiences: ['api://AzureADTokenExchange', 'sts.amazonaws.com'],
    })
    assert.equal(c.federation.publicIssuer, 'https://oidc.example.com/keyless')
    assert.equal(c.federation.issuerAudiences.length, 2)
  })

  it('refuses an issuer that a cloud could not use, and bad audiences', () => {
    for (const publicIssuer of ['http://oidc.example.com', 'https://x.example/?a=1', 'nope', 7]) {
      assert.throws(() => load({ publicIssuer }), /federation.publicIssuer/)
    }
    assert.throws(() => load({ issuerAudiences: [''] }), /federation.issuerAudiences/)
    assert.throws(() => load({ issuerAudiences: 'sts.amazonaws.com' }), /issuerAudiences/)
    rmSync(dir, { recursive: true, force: true })
  })
})
