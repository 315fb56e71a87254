import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, describe, it } from 'node:test'
import { openStore } from '../store/index.js'
import type { SignInRecord } from '../domain/log-records.js'
import { startLogRetention } from './log-retention.js'

const dir = mkdtempSync(join(tmpdir(), 'keyless-retention-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const DAY = 86_400_000
const NOW = Date.parse('2026-12-07T12:00:00Z')

const signIn = (at: number): SignInRecord => ({
  id: randomUUID(),
  createdDateTime: new Date(at).toISOString(),
  correlationId: randomUUID(),
  source: 'server',
  protocol: 'oauth2/v2',
  latencyMs: 1,
  status: { errorCode: 0 },
})

describe('log retention', () => {
  it('prunes entries past the retention behind an anchor, and the chain still checks', async () => {
    const store = await openStore({ sqliteFile: join(dir, 'k.db') })
    try {
      const times = [NOW - 40 * DAY, NOW - 31 * DAY, NOW - 29 * DAY, NOW - DAY]
      const seqs = await store.signIns.append(
        times.map((t) => ({ createdAt: t, record: signIn(t) })),
      )
      const retention = startLogRetention({
        store,
        clock: { now: () => NOW },
        retentionMs: 30 * DAY,
        onError: (err) => assert.fail(String(err)),
        firstAfterMs: 0,
      })
      try {
        for (let i = 0; i < 100 && (await store.signIns.verify()).anchor.seq === 0; i++) {
          await sleep(10)
        }
      } finally {
        retention.stop()
      }
      const check = await store.signIns.verify()
      assert.equal(check.ok, true, JSON.stringify(check))
      assert.equal(check.anchor.seq, seqs[1])
      assert.equal(check.checked, 2)
      const left = await store.signIns.list({})
      assert.deepEqual(
        left.items.map((e) => e.createdAt),
        [NOW - DAY, NOW - 29 * DAY],
      )
    } finally {
      await store.close()
    }
  })
})
