// The offline dependency check (scripts/check-deps.js) run as CI runs it: the real lockfile
// passes the committed policy, and a lockfile with a package off the allow-list, a refused
// licence, no integrity, a foreign registry or an unexpected install script fails it.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

const SCRIPT = 'scripts/check-deps.js'
const tmp = mkdtempSync(join(tmpdir(), 'keyless-deps-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

function check(lock?: unknown) {
  const args = [SCRIPT]
  if (lock !== undefined) {
    const file = join(tmp, `lock-${Math.random()}.json`)
    writeFileSync(file, JSON.stringify(lock))
    args.push('--lockfile', file)
  }
  return spawnSync(process.execPath, args, { encoding: 'utf8' })
}

const real = JSON.parse(readFileSync('package-lock.json', 'utf8'))
const withPackage = (path: string, entry: Record<string, unknown>) => ({
  ...real,
  packages: { ...real.packages, [path]: entry },
})
const JOSE = real.packages['node_modules/jose']

describe('the offline dependency check', () => {
  it('passes the committed lockfile and counts its production packages', () => {
    const r = check()
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^\d+ production packages \(budget \d+\)/)
  })

  const bad: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ['a package off the allow-list', 'node_modules/left-pad', { ...JOSE }, /not on the allow-list/],
    [
      'a refused licence',
      'node_modules/jose',
      { ...JOSE, license: 'GPL-3.0' },
      /GPL-3\.0 not allowed/,
    ],
    ['no integrity', 'node_modules/jose', { ...JOSE, integrity: undefined }, /no sha512 integrity/],
    [
      'a foreign registry',
      'node_modules/jose',
      { ...JOSE, resolved: 'https://evil.example/jose.tgz' },
      /resolved from https:\/\/evil\.example/,
    ],
    [
      'an install script',
      'node_modules/jose',
      { ...JOSE, hasInstallScript: true },
      /runs an install script/,
    ],
  ]
  for (const [what, path, entry, message] of bad) {
    it(`fails a lockfile with ${what}`, () => {
      const r = check(withPackage(path, entry))
      assert.equal(r.status, 1)
      assert.match(r.stderr, message)
    })
  }

  it('ignores development-only packages', () => {
    const r = check(withPackage('node_modules/left-pad', { ...JOSE, dev: true, license: 'WTFPL' }))
    assert.equal(r.status, 0, r.stderr)
  })
})
