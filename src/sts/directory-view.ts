// The directory rows a managed-identity token request reads (the host, the calling resource, its
// identities), remembered between requests while the event log has not moved.
//
// Why that is exact, not eventual: every committed change to hosts, resources, principals and
// attachments appends an event in the same transaction (directory/events.ts, which the agents'
// change stream relies on too), and events commit in seq order in both dialects (SQLite has one
// writer; PostgreSQL appends under an advisory lock, store/event-store.ts). So while the head
// of the log is still N, nothing those rows depend on has changed since they were read after N.
// Each request learns the head once (one indexed query instead of one query per row) and uses
// remembered rows only if it is the head they were read under; any new event, from this process
// or another replica, drops them all. A revoked host or a detached identity is refused by every
// request that starts after the change commits.
//
// Requests in flight together share head reads: a read issued after a request started answers
// for it (what it returns is at least as new as the request), so under load most requests ask
// nothing of the database. A request never uses a read issued before it started.
import type { HostRow, IdentityAttachmentRow, ResourceRow } from '../store/schema.js'
import type { ServicePrincipalRow } from '../store/schema.js'
import type { Store } from '../store/store.js'

export interface DirectoryViewOptions {
  store: Pick<Store, 'events' | 'hosts' | 'resources' | 'principals' | 'attachments'>
  /** Rows remembered at most (the oldest leave first). Default 10,000. */
  max?: number
}

/** The reads of one request, each as the store would answer it now. */
export interface DirectoryReads {
  host(id: string): Promise<HostRow | undefined>
  localHost(): Promise<HostRow | undefined>
  resource(key: string): Promise<ResourceRow | undefined>
  principalOf(resourceKey: string): Promise<ServicePrincipalRow | undefined>
  attachmentsOf(resourceKey: string): Promise<IdentityAttachmentRow[]>
}

type Row = HostRow | ResourceRow | ServicePrincipalRow | IdentityAttachmentRow[]

export function createDirectoryView({ store, max = 10_000 }: DirectoryViewOptions) {
  let current = { head: -1, rows: new Map<string, Row>() }
  // A logical clock orders request starts and head reads.
  let clock = 0
  let latest: { head: Promise<number>; issuedAt: number } | undefined

  /** The log head as read by a query issued after `startedAt`: the latest, or a new one. */
  function headSince(startedAt: number): Promise<number> {
    if (latest && latest.issuedAt > startedAt) return latest.head
    const read = { head: store.events.last(), issuedAt: ++clock }
    latest = read
    read.head.catch(() => {
      if (latest === read) latest = undefined
    })
    return read.head
  }

  /** A reader for one request; the log head is learnt at its first use, once. */
  return function reader(): DirectoryReads {
    const startedAt = ++clock
    let rows: Promise<Map<string, Row>> | undefined
    const generation = () =>
      (rows ??= headSince(startedAt).then((head) => {
        if (head !== current.head) current = { head, rows: new Map() }
        return current.rows
      }))

    // Absent rows are not remembered: a miss always asks the store again.
    async function remembered<T extends Row>(key: string, load: () => Promise<T | undefined>) {
      const map = await generation()
      const hit = map.get(key)
      if (hit !== undefined) return hit as T
      const row = await load()
      if (row !== undefined) {
        map.set(key, row)
        if (map.size > max) map.delete(map.keys().next().value!)
      }
      return row
    }

    return {
      host: (id) => remembered(`host ${id}`, () => store.hosts.fetch(id)),
      localHost: () => remembered('local host', () => store.hosts.fetchLocal()),
      resource: (key) => remembered(`resource ${key}`, () => store.resources.fetch(key)),
      principalOf: (key) =>
        remembered(`principal ${key}`, () => store.principals.fetchByResource(key)),
      attachmentsOf: async (key) =>
        (await remembered(`attachments ${key}`, () => store.attachments.listByResource(key))) ?? [],
    }
  }
}

export type DirectoryView = ReturnType<typeof createDirectoryView>
