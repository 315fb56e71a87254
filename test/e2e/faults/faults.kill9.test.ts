// kill -9 at a random moment of a seeded stream of lifecycle operations, then a restart on the
// same data directory (and database): the invariant checker finds no orphan and no half-done
// operation, and every operation that was acknowledged is there. SQLite and PostgreSQL; CI runs
// the short form (3 trials × 200 operations), scripts/fault-trials.sh the full one.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import {
  emptyModel,
  missingFromApi,
  nextOperation,
  rng,
  session,
  setUp,
  type Fixture,
} from './workload.js'
import { freshDatabase, OPERATIONS, PG_URL, SEED, TRIALS, violations } from './faults.config.js'

async function trials(databaseUrl?: string): Promise<{ acknowledged: number; inFlight: number }> {
  const dataDir = tempDataDir()
  const args = databaseUrl ? ['--database-url', databaseUrl] : []
  const pick = rng(SEED)
  const model = emptyModel()
  let k: KeylessProcess = await startKeyless({ dataDir, args })
  let s = await session(k)
  const fx: Fixture = await setUp(s)
  let acknowledged = 0
  let inFlight = 0
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      // The kill lands during one of the operations, a random few milliseconds after it was sent.
      const killAt = Math.floor(OPERATIONS / 4 + pick() * (OPERATIONS * 0.75))
      for (let i = 0; i < OPERATIONS; i++) {
        const op = nextOperation(s, fx, model, pick, trial * OPERATIONS + i)
        const sent = op.send()
        if (i === killAt) {
          await sleep(pick() * 15)
          k.child.kill('SIGKILL')
          const outcome = await sent.then(
            (r) => (r.status < 300 ? true : undefined),
            () => undefined,
          )
          // An answer that got out before the kill is an acknowledgement like any other.
          op.record(model, outcome)
          if (outcome === undefined) inFlight++
          break
        }
        const r = await sent
        op.record(model, r.status < 300)
        if (r.status < 300) acknowledged++
        assert.ok(r.status < 500, `${op.name}: ${r.status} ${r.text}`)
      }
      await k.stop()
      k = await startKeyless({ dataDir, args })
      s = await session(k)
      assert.deepEqual(await violations(dataDir, databaseUrl), [], `trial ${trial}: invariants`)
      assert.deepEqual(
        await missingFromApi(s, fx, model),
        [],
        `trial ${trial}: acknowledged writes`,
      )
    }
  } finally {
    await k.dispose()
  }
  // Recorded by scripts/fault-trials.sh for the README.
  console.log(
    `# fault trials: ${databaseUrl ? 'postgres' : 'sqlite'} ${TRIALS} x ${OPERATIONS}: ${acknowledged} acknowledged, ${inFlight} in flight at the kill, 0 violations, 0 lost`,
  )
  return { acknowledged, inFlight }
}

describe('kill -9 during lifecycle operations', () => {
  it(`loses no acknowledged write and leaves no orphan on SQLite (${TRIALS} × ${OPERATIONS})`, async () => {
    const r = await trials()
    assert.ok(r.acknowledged >= TRIALS * 10, `only ${r.acknowledged} acknowledged`)
  })

  it(
    `loses no acknowledged write and leaves no orphan on PostgreSQL (${TRIALS} × ${OPERATIONS})`,
    { skip: PG_URL ? false : 'KEYLESS_TEST_POSTGRES_URL is not set' },
    async () => {
      const db = await freshDatabase(PG_URL!)
      try {
        const r = await trials(db.url)
        assert.ok(r.acknowledged >= TRIALS * 10, `only ${r.acknowledged} acknowledged`)
      } finally {
        await db.drop()
      }
    },
  )
})
