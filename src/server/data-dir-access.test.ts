// Issue 19 §5 from the attacker's side: a data directory pre-created 0755 is forced to 0700, and
// a parent others may write to (where they could swap the directory) is warned about, unless
// its sticky bit forbids renaming what they do not own.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { restrictDataDir } from './data-dir-access.js'

describe('restrictDataDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'keyless-access-'))
  after(() => rmSync(root, { recursive: true, force: true }))

  const dataDirIn = (name: string, parentMode: number) => {
    const parent = join(root, name)
    mkdirSync(parent)
    chmodSync(parent, parentMode)
    const dataDir = join(parent, 'data')
    mkdirSync(dataDir, { mode: 0o755 })
    chmodSync(dataDir, 0o755)
    return { parent, dataDir }
  }

  it('forces a pre-created 0755 directory to 0700, and warns of a world-writable parent', () => {
    const { parent, dataDir } = dataDirIn('open', 0o777)
    const warnings = restrictDataDir(dataDir)
    assert.equal(statSync(dataDir).mode & 0o777, 0o700)
    assert.deepEqual(warnings, [`the data directory's parent ${parent} is writable by other users`])
  })

  it('does not warn of a sticky world-writable parent (as /tmp) or a private one', () => {
    assert.deepEqual(restrictDataDir(dataDirIn('sticky', 0o1777).dataDir), [])
    assert.deepEqual(restrictDataDir(dataDirIn('private', 0o755).dataDir), [])
  })
})
