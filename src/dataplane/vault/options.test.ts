import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { vaultSettings, type VaultOptions } from './options.js'

const tls = { keyPem: 'k', certPem: 'c' }

describe('vault settings', () => {
  it('defaults to one loopback listener per vault and 90 days of retention', () => {
    assert.deepEqual(vaultSettings({ tls }), {
      host: '127.0.0.1',
      urlHost: '127.0.0.1',
      port: 0,
      retentionDays: 90,
      pollIntervalMs: 1000,
      pruneIntervalMs: 60_000,
    })
  })

  it('polls rarely when it follows the change feed, and names wildcard binds by loopback', () => {
    const s = vaultSettings({ tls, subscribe: () => () => undefined, host: '0.0.0.0' })
    assert.equal(s.pollIntervalMs, 30_000)
    assert.equal(s.urlHost, '127.0.0.1')
    assert.equal(vaultSettings({ tls, host: '::1' }).urlHost, '[::1]')
  })

  it('normalizes the host suffix', () => {
    assert.equal(
      vaultSettings({ tls, hostSuffix: '.Vault.Example.Test.' }).hostSuffix,
      'vault.example.test',
    )
  })

  const bad: [string, Partial<VaultOptions>, RegExp][] = [
    ['no tls', { tls: undefined as never }, /tls/],
    ['a suffix that is not a DNS name', { hostSuffix: 'local_host' }, /hostSuffix/],
    ['a one-label suffix', { hostSuffix: 'localhost' }, /hostSuffix/],
    ['a port out of range', { port: 70000 }, /port/],
    ['retention under 7 days', { retentionDays: 6 }, /retentionDays/],
    ['a poll interval under 10 ms', { pollIntervalMs: 1 }, /pollIntervalMs/],
  ]
  for (const [name, o, message] of bad) {
    it(`refuses ${name} with a TypeError`, () =>
      assert.throws(() => vaultSettings({ tls, ...o }), { name: 'TypeError', message }))
  }
})
