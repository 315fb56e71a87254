import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveJoinToken } from './agent.js'
import { CliError } from './errors.js'

test('join tokens come from a file or the environment, so they stay out of the process list', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-join-'))
  try {
    const file = join(dir, 'token')
    writeFileSync(file, 'from-file\n', { mode: 0o600 })
    assert.equal(resolveJoinToken({ joinTokenFile: file }, {}), 'from-file')
    assert.equal(resolveJoinToken({}, { KEYLESS_JOIN_TOKEN_FILE: file }), 'from-file')
    assert.equal(resolveJoinToken({}, { KEYLESS_JOIN_TOKEN: 'from-env' }), 'from-env')
    assert.equal(resolveJoinToken({ joinToken: 'flag' }, { KEYLESS_JOIN_TOKEN: 'x' }), 'flag')
    assert.equal(resolveJoinToken({}, {}), undefined)
    writeFileSync(file, '  \n')
    assert.throws(
      () => resolveJoinToken({ joinTokenFile: file }, {}),
      (e: unknown) => {
        assert.ok(e instanceof CliError)
        assert.equal(e.exitCode, 2)
        assert.match(e.message, /is empty/)
        return true
      },
    )
    assert.throws(
      () => resolveJoinToken({ joinTokenFile: join(dir, 'missing') }, {}),
      /cannot read/,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
