// The sign-in and activity logs: append-only, hash-chained, filtered and paged newest first,
// pruned behind an anchor. `exec` runs raw SQL on the same database (the tamper test edits a
// row behind the store's back, as someone with database access would).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { ActivityRecord, SignInRecord } from '../../domain/log-records.js'
import type { Store } from '../index.js'
import { T0 } from './fixtures.js'

export type ExecSql = (sql: string) => Promise<void>

// Later than every other entry of the suite, so that prunes below cut only these tests' own.
let clock = T0 + 10 * 365 * 86_400_000
const tick = () => (clock += 1000)

function signIn(o: Partial<SignInRecord> = {}): SignInRecord {
  return {
    id: randomUUID(),
    createdDateTime: new Date(clock).toISOString(),
    correlationId: randomUUID(),
    source: 'server',
    protocol: 'oauth2/v1',
    appId: randomUUID(),
    servicePrincipalId: randomUUID(),
    resourceId: 'https://vault.azure.net',
    resourceDisplayName: 'https://vault.azure.net',
    latencyMs: 1.5,
    status: { errorCode: 0 },
    ...o,
  }
}

function activity(o: Partial<ActivityRecord> = {}): ActivityRecord {
  const sub = randomUUID()
  return {
    eventDataId: randomUUID(),
    correlationId: randomUUID(),
    eventTimestamp: new Date(clock).toISOString(),
    caller: randomUUID(),
    operationName: 'Microsoft.Resources/subscriptions/resourceGroups/write',
    scope: `/subscriptions/${sub}/resourceGroups/Rg-1`,
    subscriptionId: sub,
    resourceGroupName: 'Rg-1',
    status: 'Succeeded',
    httpStatusCode: 201,
    httpMethod: 'PUT',
    requestId: randomUUID(),
    ...o,
  }
}

export function describeLogs(store: () => Store, exec?: ExecSql): void {
  describe('sign-in and activity logs', () => {
    it('lists sign-ins newest first, filtered by identity, resource and result, in pages', async () => {
      const principal = randomUUID()
      const records = [
        signIn({ servicePrincipalId: principal }),
        signIn({
          servicePrincipalId: principal,
          status: { errorCode: 700016, failureReason: 'no', additionalDetails: 'invalid_client' },
        }),
        signIn({ servicePrincipalId: principal, resourceId: 'https://storage.azure.com' }),
      ]
      const seqs = await store().signIns.append(
        records.map((record) => ({ createdAt: tick(), record })),
      )
      assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2])

      const mine = await store().signIns.list({ identity: principal.toUpperCase() })
      assert.deepEqual(
        mine.items.map((e) => e.record.id),
        records.map((r) => r.id).reverse(),
      )
      assert.deepEqual(mine.items[2]!.record, records[0])
      const refused = await store().signIns.list({ identity: principal, result: 'failure' })
      assert.deepEqual(
        refused.items.map((e) => e.record.id),
        [records[1]!.id],
      )
      const storage = await store().signIns.list({
        identity: principal,
        resource: 'https://storage.azure.com',
      })
      assert.deepEqual(
        storage.items.map((e) => e.record.id),
        [records[2]!.id],
      )

      const first = await store().signIns.list({ identity: principal }, { limit: 2 })
      assert.equal(first.items.length, 2)
      const second = await store().signIns.list(
        { identity: principal },
        { limit: 2, after: first.next },
      )
      assert.deepEqual(
        second.items.map((e) => e.record.id),
        [records[0]!.id],
      )
      assert.equal(second.next, undefined)
      const followed = await store().signIns.list({ identity: principal, afterSeq: seqs[0]! })
      assert.deepEqual(
        followed.items.map((e) => e.seq),
        [seqs[1], seqs[2]],
      )
    })

    it('filters sign-ins by time range, both ends included', async () => {
      const appId = randomUUID()
      const times = [tick(), tick(), tick()]
      const records = times.map(() => signIn({ appId }))
      await store().signIns.append(records.map((record, i) => ({ createdAt: times[i]!, record })))
      const middle = await store().signIns.list({
        identity: appId,
        since: times[1],
        until: times[1],
      })
      assert.deepEqual(
        middle.items.map((e) => e.record.id),
        [records[1]!.id],
      )
    })

    it('lists activity by resource group, resource, correlation id and caller in any casing', async () => {
      const a = activity()
      const b = activity({
        subscriptionId: a.subscriptionId,
        scope: `${a.scope}/providers/X.Y/z/n`,
        correlationId: a.correlationId,
      })
      await store().activity.append([a, b].map((record) => ({ createdAt: tick(), record })))
      const bySub = { subscriptionId: a.subscriptionId! }
      const inGroup = await store().activity.list({ ...bySub, resourceGroupName: 'rg-1' })
      assert.deepEqual(
        inGroup.items.map((e) => e.record.eventDataId),
        [b.eventDataId, a.eventDataId],
      )
      const one = await store().activity.list({ ...bySub, resourceUri: b.scope.toUpperCase() })
      assert.deepEqual(
        one.items.map((e) => e.record.eventDataId),
        [b.eventDataId],
      )
      const correlated = await store().activity.list({
        correlationId: a.correlationId.toUpperCase(),
      })
      assert.equal(correlated.items.length, 2)
      const byCaller = await store().activity.list({ caller: a.caller! })
      assert.deepEqual(
        byCaller.items.map((e) => e.record),
        [a],
      )
    })

    it('keeps one unforked chain when many appends run at once', async () => {
      const seqs = (
        await Promise.all(
          Array.from({ length: 24 }, () =>
            store().signIns.append([
              { createdAt: tick(), record: signIn() },
              { createdAt: tick(), record: signIn() },
            ]),
          ),
        )
      ).flat()
      assert.equal(new Set(seqs).size, 48)
      const check = await store().signIns.verify()
      assert.equal(check.ok, true, JSON.stringify(check.firstBroken))
      assert.equal(check.head.seq, Math.max(...seqs))
    })

    it('prunes the oldest entries behind an anchor the chain check starts from', async () => {
      const t = [tick(), tick(), tick()]
      const records = t.map(() => signIn())
      const seqs = await store().signIns.append(
        records.map((record, i) => ({ createdAt: t[i]!, record })),
      )
      assert.ok((await store().signIns.prune(t[1]!)) >= 1)
      const check = await store().signIns.verify()
      assert.equal(check.ok, true, JSON.stringify(check.firstBroken))
      assert.equal(check.anchor.seq, seqs[0])
      assert.equal(check.checked, 2)
      assert.equal(await store().signIns.prune(t[1]!), 0)
      await store().signIns.append([{ createdAt: tick(), record: signIn() }])
      assert.equal((await store().signIns.verify()).ok, true)
    })

    it(
      'names the first edited, removed or cut entry and is sound again once restored',
      { skip: exec === undefined },
      async () => {
        const records = [signIn(), signIn(), signIn()]
        const seqs = await store().signIns.append(
          records.map((record) => ({ createdAt: tick(), record })),
        )
        const [first, middle] = seqs as [number, number]
        const original = (await store().signIns.list({ identity: records[1]!.appId! })).items[0]!
        const stored = JSON.stringify(original.record)
        assert.equal((await store().signIns.verify()).ok, true)

        // An edited record: the refusal made to look like a success, hash left alone.
        const edited = canonicalEdit(original.record, { status: { errorCode: 0 }, latencyMs: 99 })
        await exec!(`update sign_ins set record = '${edited}' where seq = ${middle}`)
        let check = await store().signIns.verify()
        assert.equal(check.ok, false)
        assert.deepEqual(check.firstBroken, { seq: middle, reason: 'hash', id: records[1]!.id })

        // A filter column changed without the record: the copy no longer matches.
        await exec!(
          `update sign_ins set record = '${canonicalEdit(original.record, {})}', result = 'failure' where seq = ${middle}`,
        )
        check = await store().signIns.verify()
        assert.deepEqual(check.firstBroken, { seq: middle, reason: 'columns', id: records[1]!.id })
        await exec!(`update sign_ins set result = 'success' where seq = ${middle}`)
        assert.equal((await store().signIns.verify()).ok, true, stored)

        // A removed entry: the next one no longer follows.
        await exec!(`update sign_ins set seq = -seq where seq = ${first}`)
        check = await store().signIns.verify()
        assert.deepEqual(check.firstBroken, {
          seq: middle,
          reason: 'sequence-gap',
          id: records[1]!.id,
        })
        await exec!(`update sign_ins set seq = -seq where seq = ${-first}`)
        assert.equal((await store().signIns.verify()).ok, true)
      },
    )
  })
}

/** The record with `changes`, in canonical JSON with quotes doubled for a SQL literal. */
function canonicalEdit(record: SignInRecord, changes: Partial<SignInRecord>): string {
  const keys = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, keys((v as Record<string, unknown>)[k])]),
        )
      : v
  return JSON.stringify(keys({ ...record, ...changes })).replace(/'/g, "''")
}
