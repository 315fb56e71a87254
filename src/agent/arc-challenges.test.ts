import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ARC_KEY_MAX_BYTES, createArcChallenges, TooManyChallenges } from './arc-challenges.js'
import { fakeClock } from './test-fakes.js'

describe('arc challenges', () => {
  let root: string
  let dir: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keyless-arc-'))
    dir = join(root, 'azcmagent', 'tokens')
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('creates the directory 0700 and each key file 0600 with random content and no newline', () => {
    const challenges = createArcChallenges({ clock: fakeClock(), dir })
    assert.equal(statSync(dir).mode & 0o777, 0o700)
    const a = challenges.issue('scope')
    const b = challenges.issue('scope')
    assert.equal(dirname(a), dir)
    assert.match(a, /\/[0-9a-f]{32}\.key$/)
    assert.equal(statSync(a).mode & 0o777, 0o600)
    const secret = readFileSync(a, 'utf8')
    assert.ok(secret.length > 20 && Buffer.byteLength(secret) <= ARC_KEY_MAX_BYTES)
    assert.doesNotMatch(secret, /\s/)
    assert.notEqual(secret, readFileSync(b, 'utf8'))
  })

  it('accepts a key once, for the request it was issued to, and deletes its file', () => {
    const challenges = createArcChallenges({ clock: fakeClock(), dir })
    const path = challenges.issue('listener-1\nresource=x')
    const secret = readFileSync(path, 'utf8')
    assert.equal(challenges.redeem(secret, 'listener-1\nresource=x'), 'ok')
    assert.equal(existsSync(path), false)
    assert.equal(challenges.redeem(secret, 'listener-1\nresource=x'), 'unknown')
  })

  it('refuses the key of another challenge and spends it', () => {
    const challenges = createArcChallenges({ clock: fakeClock(), dir })
    const path = challenges.issue('listener-1\nresource=x')
    const secret = readFileSync(path, 'utf8')
    assert.equal(challenges.redeem(secret, 'listener-2\nresource=x'), 'mismatch')
    assert.equal(existsSync(path), false)
    assert.equal(challenges.redeem(secret, 'listener-1\nresource=x'), 'unknown')
  })

  it('refuses an expired key and sweeps expired files', () => {
    const clock = fakeClock()
    const challenges = createArcChallenges({ clock, dir, ttlMs: 60_000 })
    const stale = challenges.issue('s')
    const swept = challenges.issue('s')
    clock.advance(60_000)
    assert.equal(challenges.redeem(readFileSync(stale, 'utf8'), 's'), 'expired')
    assert.equal(challenges.sweep(), 1)
    assert.equal(existsSync(swept), false)
    assert.equal(challenges.outstanding, 0)
  })

  it('refuses unknown keys', () => {
    const challenges = createArcChallenges({ clock: fakeClock(), dir })
    challenges.issue('s')
    assert.equal(challenges.redeem('', 's'), 'unknown')
    assert.equal(challenges.redeem('guess', 's'), 'unknown')
  })

  it('limits outstanding keys, counting expired ones out', () => {
    const clock = fakeClock()
    const challenges = createArcChallenges({ clock, dir, maxOutstanding: 2 })
    challenges.issue('s')
    challenges.issue('s')
    assert.throws(() => challenges.issue('s'), TooManyChallenges)
    clock.advance(60_000)
    challenges.issue('s')
    assert.equal(challenges.outstanding, 1)
  })

  it('lets a dedicated group read the keys when configured', () => {
    const gid = process.getgid?.() ?? 0
    const challenges = createArcChallenges({ clock: fakeClock(), dir, groupId: gid })
    const path = challenges.issue('s')
    assert.equal(statSync(dir).mode & 0o777, 0o750)
    assert.equal(statSync(path).mode & 0o777, 0o640)
    assert.equal(statSync(path).gid, gid)
  })

  it('deletes every outstanding key on close', () => {
    const challenges = createArcChallenges({ clock: fakeClock(), dir })
    const a = challenges.issue('s')
    challenges.close()
    assert.equal(existsSync(a), false)
  })

  it('refuses a tokens directory that is a symbolic link', () => {
    const target = mkdtempSync(join(tmpdir(), 'keyless-arc-target-'))
    try {
      symlinkSync(target, join(root, 'link'))
      assert.throws(
        () => createArcChallenges({ clock: fakeClock(), dir: join(root, 'link') }),
        TypeError,
      )
    } finally {
      rmSync(target, { recursive: true, force: true })
    }
  })
})
