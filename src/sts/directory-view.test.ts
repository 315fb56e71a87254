// The directory view over a real SQLite store: rows are remembered only while the event log head
// is unchanged, so a change committed with its event is seen by the very next request.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../store/index.js'
import type { HostRow } from '../store/schema.js'
import type { Store } from '../store/store.js'
import { createDirectoryView } from './directory-view.js'

const host = (id: string): HostRow => ({
  id,
  name: id,
  state: 'active',
  is_local: 0,
  cert_serial: '01',
  cert_issuer: null,
  cert_not_after: 2_000_000_000_000,
  created_at: 1,
  renewed_at: null,
  revoked_at: null,
})

describe('directory view', () => {
  let dir: string
  let store: Store
  let hostReads = 0
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-view-'))
    const real = await openStore({ sqliteFile: join(dir, 'k.db') })
    const fetch = real.hosts.fetch.bind(real.hosts)
    store = { ...real, hosts: { ...real.hosts, fetch: (id) => (hostReads++, fetch(id)) } }
    await store.hosts.create(host('h1'))
  })
  after(async () => {
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers from memory while no event is committed', async () => {
    const view = createDirectoryView({ store })
    hostReads = 0
    assert.equal((await view().host('h1'))?.state, 'active')
    assert.equal((await view().host('h1'))?.state, 'active')
    assert.equal(hostReads, 1)
  })

  it('reads again after any event, so a revocation is seen at once', async () => {
    const view = createDirectoryView({ store })
    assert.equal((await view().host('h1'))?.state, 'active')
    await store.transaction(async (tx) => {
      await tx.hosts.update('h1', { state: 'revoked', revoked_at: 2 })
      await tx.events.append({ at: 2, kind: 'host.revoked', subject: 'h1', data: '{}' })
    })
    assert.equal((await view().host('h1'))?.state, 'revoked')
  })

  it('does not remember a row that is absent', async () => {
    const view = createDirectoryView({ store })
    hostReads = 0
    assert.equal(await view().host('h2'), undefined)
    await store.hosts.create(host('h2'))
    assert.equal((await view().host('h2'))?.id, 'h2')
    assert.equal(hostReads, 2)
  })

  it('reads the log head once per request', async () => {
    let heads = 0
    const last = store.events.last.bind(store.events)
    const counted = { ...store, events: { ...store.events, last: () => (heads++, last()) } }
    const reads = createDirectoryView({ store: counted })()
    await reads.host('h1')
    await reads.host('h2')
    await reads.resource('/subscriptions/x/resourcegroups/y')
    assert.equal(heads, 1)
  })

  it('lets requests in flight share a head read, but never one issued before they started', async () => {
    let heads = 0
    const last = store.events.last.bind(store.events)
    const counted = { ...store, events: { ...store.events, last: () => (heads++, last()) } }
    const view = createDirectoryView({ store: counted })
    const first = view()
    const second = view()
    await second.host('h1')
    await first.host('h1')
    assert.equal(heads, 1, 'the read issued for the second serves the first, started before it')
    await store.transaction(async (tx) => {
      await tx.hosts.update('h1', { state: 'active', revoked_at: null })
      await tx.events.append({ at: 3, kind: 'host.updated', subject: 'h1', data: '{}' })
    })
    const third = view()
    assert.equal((await third.host('h1'))?.state, 'active')
    assert.equal(heads, 2, 'a request started after the last read reads the head itself')
  })
})
