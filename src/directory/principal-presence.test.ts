// Principal presence on a real SQLite store and the real change feed: cached once found, and
// refused as soon as the deletion's event is delivered, including a lookup racing the deletion.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseResourceId } from '../domain/resource-id.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import { bootstrapInstallation } from './bootstrap.js'
import { createChangeFeed, type ChangeFeed } from './change-feed.js'
import { createDirectory } from './create-directory.js'
import type { Directory } from './directory.js'
import { createPrincipalPresence, type PrincipalPresence } from './principal-presence.js'

describe('principal presence', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keyless-presence-'))
  let store: Store
  let dir: Directory
  let feed: ChangeFeed
  let presence: PrincipalPresence
  let fetches = 0
  let sub: string
  const vm = (n: string) =>
    parseResourceId(
      `/subscriptions/${sub}/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/${n}`,
    )
  const create = async (n: string) =>
    (await dir.putResource(vm(n), { location: 'eastus', identity: { type: 'SystemAssigned' } }))
      .resource.identity!.principalId!

  before(async () => {
    store = await openStore({ sqliteFile: join(tmp, 'p.db') })
    const inst = await bootstrapInstallation(store, {
      now: 1,
      issueSecret: false,
      generateSecret: () => 'x',
      hashSecret: (x) => x,
    })
    sub = inst.subscriptionId
    dir = createDirectory({ store, clock: { now: () => Date.now() }, tenantId: inst.tenantId })
    await dir.putResourceGroup(sub, 'g', { location: 'eastus' })
    feed = createChangeFeed({ store, intervalMs: 60_000 })
    await feed.start()
    const counted = {
      principals: {
        ...store.principals,
        fetch: (id: string) => {
          fetches++
          return store.principals.fetch(id)
        },
      },
    }
    presence = createPrincipalPresence({ store: counted, subscribe: feed.subscribe })
  })
  after(async () => {
    presence.close()
    feed.stop()
    await store.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('reads the store once for a principal that exists, and every time for one that does not', async () => {
    const p = await create('vm1')
    fetches = 0
    for (let i = 0; i < 5; i++) assert.equal(await presence.exists(p), true)
    assert.equal(fetches, 1)
    // Another id of the same shape: the last hex digit changed (never the same digit).
    const absent = `${p.slice(0, -1)}${p.endsWith('0') ? '1' : '0'}`
    for (let i = 0; i < 3; i++) assert.equal(await presence.exists(absent), false)
    assert.equal(fetches, 4)
  })

  it('refuses a deleted principal once its deletion is delivered', async () => {
    const p = await create('vm2')
    assert.equal(await presence.exists(p), true)
    await dir.deleteResource(vm('vm2'))
    await feed.poke()
    assert.equal(await presence.exists(p), false)
  })

  it('does not keep an answer read while a deletion was delivered', async () => {
    const p = await create('vm3')
    await feed.poke()
    // The lookup reads the store, then the deletion commits and is delivered before the
    // lookup's answer returns: the answer is given but not kept.
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const slow = createPrincipalPresence({
      store: {
        principals: {
          ...store.principals,
          fetch: async (id: string) => {
            const row = await store.principals.fetch(id)
            await gate
            return row
          },
        },
      },
      subscribe: feed.subscribe,
    })
    const racing = slow.exists(p)
    await dir.deleteResource(vm('vm3'))
    await feed.poke()
    release()
    assert.equal(await racing, true)
    assert.equal(await slow.exists(p), false)
    slow.close()
  })
})
