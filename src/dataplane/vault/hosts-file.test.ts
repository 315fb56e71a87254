import assert from 'node:assert/strict'
import { test } from 'node:test'
import { VAULT_HOSTS_MARKER, vaultHostsFile } from './hosts-file.js'

test('vault hosts file: the machine file, then one sorted line per vault', () => {
  const out = vaultHostsFile(
    '127.0.0.1 localhost\n::1 localhost',
    ['b', 'a'],
    'v.test',
    '127.0.0.1',
  )
  assert.equal(
    out,
    `127.0.0.1 localhost\n::1 localhost\n${VAULT_HOSTS_MARKER}\n127.0.0.1 a.v.test\n127.0.0.1 b.v.test\n`,
  )
})

test('vault hosts file: an earlier Keyless section is replaced, not repeated', () => {
  const first = vaultHostsFile('127.0.0.1 localhost\n', ['a'], 'v.test', '127.0.0.1')
  const second = vaultHostsFile(first, [], 'v.test', '[::1]')
  assert.equal(second, `127.0.0.1 localhost\n${VAULT_HOSTS_MARKER}\n`)
  assert.equal(vaultHostsFile(first, ['c'], 'v.test', '[::1]').endsWith('::1 c.v.test\n'), true)
})
