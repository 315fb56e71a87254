// The change feed's `poke()` on a real SQLite store: it resolves only after the subscribers have
// seen every event committed before the call, even when a poll that read the log earlier is
// still in flight. Writes rely on it for read-your-writes (server/read-your-writes.ts).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import { createChangeFeed } from './change-feed.js'

describe('change feed poke', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keyless-feed-'))
  let store: Store
  before(async () => {
    store = await openStore({ sqliteFile: join(tmp, 'feed.db') })
  })
  after(async () => {
    await store.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  const append = (subject: string) =>
    store.events.append({ at: Date.now(), kind: 'test.happened', subject, data: '{}' })

  it('delivers an event committed while an earlier poll is still in flight', async () => {
    // The first read of the log returns, then is held until released: it has read the log
    // before the commit below, so its answer is stale.
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let readOnce!: () => void
    const firstRead = new Promise<void>((r) => (readOnce = r))
    let reads = 0
    const events: Pick<Store, 'events'>['events'] = {
      ...store.events,
      async list(afterSeq, limit) {
        const rows = await store.events.list(afterSeq, limit)
        if (reads++ === 0) {
          readOnce()
          await held
        }
        return rows
      },
    }
    const feed = createChangeFeed({ store: { events }, intervalMs: 3_600_000 })
    await feed.start()
    const seen: string[] = []
    feed.subscribe((e) => seen.push(e.subject))

    const stale = feed.poke()
    await firstRead
    await append('committed-during-the-poll')
    const fresh = feed.poke()
    release()
    await stale
    await fresh
    feed.stop()
    assert.deepEqual(seen, ['committed-during-the-poll'])
  })

  it('shares one follow-up poll among the callers that arrive during a poll', async () => {
    let reads = 0
    const events: Pick<Store, 'events'>['events'] = {
      ...store.events,
      list: (afterSeq, limit) => {
        reads++
        return store.events.list(afterSeq, limit)
      },
    }
    const feed = createChangeFeed({ store: { events }, intervalMs: 3_600_000 })
    await feed.start()
    const seen: string[] = []
    feed.subscribe((e) => seen.push(e.subject))
    await append('a')
    await Promise.all([feed.poke(), feed.poke(), feed.poke(), feed.poke()])
    feed.stop()
    assert.deepEqual(seen, ['a'])
    assert.equal(reads, 2, 'the first poll and one follow-up for the three that waited')
  })
})
