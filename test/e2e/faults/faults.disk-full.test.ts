// A full disk under the data directory (a small tmpfs of the test's own): writes fail with 503
// and Retry-After in their protocol's format (Blob XML ServerBusy, Key Vault and ARM JSON), never
// a 500; the database stays sound (PRAGMA integrity_check); and once space returns Keyless takes
// writes again by itself, with every acknowledged one still there. Needs permission to mount
// (CI runs as root); skips with the reason otherwise.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { https, type HttpResult } from '../../helpers/https.js'
import { session, setUp, type Fixture, type Session } from './workload.js'

function mountTmpfs(): { dir: string; unmount: () => void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'klrel-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', dir], {
      stdio: 'pipe',
    })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    return `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]})`
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Writes until the file system refuses; returns the filler's path. */
function fill(dir: string): string {
  const file = join(dir, 'filler')
  const fd = openSync(file, 'w')
  const chunk = Buffer.alloc(256 * 1024, 1)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e
    // The last few bytes too, so that no write of any size fits.
    try {
      for (;;) writeSync(fd, Buffer.alloc(512, 1))
    } catch {
      // full
    }
  } finally {
    closeSync(fd)
  }
  return file
}

const putSecret = (s: Session, fx: Fixture, name: string, value: string) =>
  https(`${fx.vaultUri.replace(/\/$/, '')}/secrets/${name}?api-version=7.5`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${s.vaultToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
    ca: s.k.ca,
  })

const putBlob = (s: Session, fx: Fixture, name: string, body: Buffer) =>
  https(`${s.k.endpoints.blobEndpoint}/${fx.account}/${fx.container}/${name}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${s.storageToken}`,
      'x-ms-version': '2026-04-06',
      'x-ms-blob-type': 'BlockBlob',
      'content-length': String(body.length),
    },
    body,
    ca: s.k.ca,
  })

function assertBusy(r: HttpResult, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.status} ${r.text}`)
  assert.ok(Number(r.headers['retry-after']) > 0, `${what}: no Retry-After`)
}

const mount = process.platform === 'linux' ? mountTmpfs() : 'tmpfs mounts need Linux'

describe(
  'a full disk under the data directory',
  { skip: typeof mount === 'string' ? mount : false },
  () => {
    it('refuses writes with 503, keeps the database sound and recovers by itself', async () => {
      const { dir, unmount } = mount as Exclude<typeof mount, string>
      const dataDir = join(dir, 'home')
      let k: KeylessProcess | undefined
      try {
        mkdirSync(dataDir)
        // The test run's CA, as every other test's data directory has it.
        const seeded = tempDataDir()
        for (const f of readdirSync(seeded)) copyFileSync(join(seeded, f), join(dataDir, f))
        rmSync(seeded, { recursive: true, force: true })
        k = await startKeyless({ dataDir })
        const s = await session(k)
        const fx = await setUp(s)
        const before = await putSecret(s, fx, 'before', 'kept')
        assert.equal(before.status, 200, before.text)
        const filler = fill(dir)

        assertBusy(await putBlob(s, fx, 'big.bin', Buffer.alloc(1024 * 1024, 7)), 'blob upload')
        assert.match(
          (await putBlob(s, fx, 'big.bin', Buffer.alloc(1024 * 1024, 7))).text,
          /<Code>ServerBusy<\/Code>/,
        )
        // The WAL may still have room for a few commits; a full disk shows within a few more.
        let refused: HttpResult | undefined
        const acknowledged = new Map<string, string>()
        for (let i = 0; i < 300 && !refused; i++) {
          const value = `${i}-`.padEnd(20_000, 'x')
          const r = await putSecret(s, fx, `s${i}`, value)
          if (r.status === 200) acknowledged.set(`s${i}`, value)
          else refused = r
        }
        assert.ok(refused, 'no write was refused on a full disk')
        assertBusy(refused, 'secret set')
        assert.equal(refused.json().error.code, 'ServiceUnavailable')
        const arm = await s.call(
          'PUT',
          `${fx.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/full?api-version=2023-01-31`,
          {
            location: 'local',
            tags: { pad: 'x'.repeat(200) },
          },
        )
        assert.ok(arm.status === 201 || arm.status === 503, `${arm.status} ${arm.text}`)
        if (arm.status === 503) assert.equal(arm.json().error.code, 'ServiceUnavailable')
        rmSync(filler)
        const t0 = Date.now()
        for (;;) {
          const r = await putSecret(s, fx, 'after', 'written')
          if (r.status === 200) break
          assertBusy(r, 'secret set after space returned')
          assert.ok(Date.now() - t0 < 5000, 'writes not accepted within 5 s of space returning')
          await sleep(200)
        }
        const blob = await putBlob(s, fx, 'after.bin', Buffer.alloc(1024, 1))
        assert.equal(blob.status, 201, blob.text)
        for (const [name, value] of [['before', 'kept'], ...acknowledged] as const) {
          const r = await https(
            `${fx.vaultUri.replace(/\/$/, '')}/secrets/${name}?api-version=7.5`,
            {
              headers: { authorization: `Bearer ${s.vaultToken}` },
              ca: k.ca,
            },
          )
          assert.equal(r.json().value, value, name)
        }
        const db = new Database(join(dataDir, 'keyless.db'), { readonly: true })
        try {
          assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }])
        } finally {
          db.close()
        }
      } finally {
        await k?.dispose()
        unmount()
      }
    })
  },
)
