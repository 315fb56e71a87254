import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKeylessError } from '../domain/errors.js'
import { assertNamespaceName, missingFor, setupCommands, startNetnsRelay } from './netns.js'
import { silentLogger } from './respond.js'

describe('IMDS in a network namespace', () => {
  it('accepts only namespace names that are plain file names', () => {
    for (const ok of ['vm-a', 'vm_1', 'a.b', 'x'.repeat(64)]) assertNamespaceName(ok)
    for (const bad of ['', '.', '..', '../x', 'a/b', '-x', 'x'.repeat(65), 'a b', 7, undefined]) {
      assert.throws(() => assertNamespaceName(bad), { code: 'InvalidNetns' }, String(bad))
    }
  })

  it('sets up a namespace with its loopback up and 169.254.169.254/32 on it', () => {
    assert.deepEqual(setupCommands('vm-a'), [
      ['netns', 'add', 'vm-a'],
      ['-n', 'vm-a', 'link', 'set', 'lo', 'up'],
      ['-n', 'vm-a', 'addr', 'add', '169.254.169.254/32', 'dev', 'lo'],
    ])
  })

  it('says exactly what is missing without root or iproute2', () => {
    const rows: Array<[boolean, string | undefined, RegExp[]]> = [
      [true, '/usr/sbin/ip', []],
      [true, undefined, [/iproute2's `ip`/]],
      [
        false,
        '/usr/sbin/ip',
        [
          /^root \(CAP_SYS_ADMIN and CAP_NET_ADMIN\).*'vm-a'.*ip netns add vm-a; ip -n vm-a link set lo up; ip -n vm-a addr add 169\.254\.169\.254\/32 dev lo$/,
        ],
      ],
      [false, undefined, [/iproute2/, /^root/]],
    ]
    for (const [isRoot, ip, want] of rows) {
      const missing = missingFor('vm-a', { isRoot, ip })
      assert.equal(missing.length, want.length, `${isRoot} ${ip}`)
      want.forEach((re, i) => assert.match(missing[i]!, re))
    }
  })

  it('refuses to start a relay it could not run, with a 409 naming what is missing', async () => {
    await assert.rejects(
      startNetnsRelay('vm-a', '/nonexistent.sock', silentLogger, {
        isRoot: false,
        ip: '/usr/sbin/ip',
      }),
      (e: unknown) =>
        isKeylessError(e) &&
        e.status === 409 &&
        e.code === 'NetnsUnavailable' &&
        /^IMDS in network namespace 'vm-a' needs root/.test(e.message),
    )
  })
})
