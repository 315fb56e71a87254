// The process-selector step of the token handler (issue 15): a token whose identity attachment
// carries selectors (the server sends them with the token, so a cached token costs no lookup
// beyond this) goes only to a connection whose processes match. The processes holding the
// connection and their facts are read once per connection; the verdict is kept per connection
// and selector set, so keep-alive requests cost two WeakMap lookups. A refusal is the "Identity
// not found" an unattached identity gets, and is logged once per connection with the reason.
import type { Socket } from 'node:net'
import {
  selectorMismatch,
  type ProcessFacts,
  type ProcessSelectorKind,
  type ProcessSelectors,
} from '../domain/process-selectors.js'
import { EndpointErrors } from './endpoint-errors.js'
import type { PeerLookup } from './peer-process.js'
import type { ProcessFactsReader } from './process-facts.js'
import type { Logger } from './respond.js'

/** Why a connection may not have a token: the first kind its process failed, or no process. */
export type SelectorRefusal = ProcessSelectorKind | 'unknown-process'

interface Connection {
  /** Every process holding the socket (usually one); empty: not found. */
  processes: ProcessFacts[]
  verdicts: WeakMap<ProcessSelectors, SelectorRefusal | null>
}

/**
 * Every holder must match: a socket shared by a matching and another process could carry the
 * other's requests.
 */
export function refusalOf(
  selectors: ProcessSelectors,
  processes: readonly ProcessFacts[],
): SelectorRefusal | undefined {
  if (processes.length === 0) return 'unknown-process'
  for (const p of processes) {
    const kind = selectorMismatch(selectors, p)
    if (kind) return kind
  }
  return undefined
}

export function createProcessSelection(o: {
  peers: Pick<PeerLookup, 'of' | 'isSupported'>
  facts: Pick<ProcessFactsReader, 'read' | 'holdersOf'>
  log: Logger
}) {
  const connections = new WeakMap<Socket, Connection | Promise<Connection>>()

  function connectionOf(socket: Socket): Connection | Promise<Connection> {
    const known = connections.get(socket)
    if (known) return known
    const make = (peer: { uid: number; inode: number } | null): Connection => {
      const pids = peer ? o.facts.holdersOf(peer.inode, peer.uid) : []
      const processes = pids.flatMap((pid) => o.facts.read(pid) ?? [])
      const c = { processes, verdicts: new WeakMap() }
      connections.set(socket, c)
      return c
    }
    // Without the kernel's tables (not Linux, or a relayed Unix socket) no process is known.
    const peer = o.peers.isSupported ? o.peers.of(socket) : null
    if (!(peer instanceof Promise)) return make(peer)
    const pending = peer.then(make)
    connections.set(socket, pending)
    return pending
  }

  function decide(c: Connection, selectors: ProcessSelectors, resourceId: string): void {
    let verdict = c.verdicts.get(selectors)
    if (verdict === undefined) {
      verdict = refusalOf(selectors, c.processes) ?? null
      c.verdicts.set(selectors, verdict)
      if (verdict) {
        const p = c.processes[0]
        o.log.warn(
          {
            resourceId,
            refusal: verdict,
            uid: p?.uid,
            gid: p?.gid,
            exe: p?.exe,
            cgroup: p?.cgroup,
          },
          'identity request refused: process does not match the selectors',
        )
      }
    }
    if (verdict) throw EndpointErrors.identityNotFound()
  }

  /** Throws "Identity not found" if the connection's process does not match; may wait once. */
  return function admit(
    socket: Socket,
    selectors: ProcessSelectors,
    resourceId: string,
  ): void | Promise<void> {
    const c = connectionOf(socket)
    if (c instanceof Promise) return c.then((conn) => decide(conn, selectors, resourceId))
    decide(c, selectors, resourceId)
  }
}
