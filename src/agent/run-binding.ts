// A run answers only its own callers (issue 19.1): processes of the run's uid and, for
// `keyless run`, of its process tree; a run registered by `keyless env` also expires. Azure's
// IMDS is safe because each VM has its own network; a loopback port on a shared host is not.
// A refused caller gets the "Identity not found" Azure gives for an unattached identity.
import type { Socket } from 'node:net'
import type { Clock } from '../domain/clock.js'
import { EndpointErrors } from './endpoint-errors.js'
import type { Peer, PeerLookup, ProcessStart } from './peer-process.js'
import type { Logger } from './respond.js'

export interface RunBinding {
  /** Only sockets created by this uid may get tokens. */
  uid: number
  /** And only processes of this tree (the `keyless run` process and its descendants). */
  tree?: ProcessStart
  /** Epoch ms after which the run answers nobody (`keyless env` runs). */
  expiresAt?: number
}

export type Refusal = 'expired' | 'unknown-peer' | 'other-uid' | 'outside-tree'

/** Why `peer` may not use a run bound by `binding`, or undefined if it may. */
export function refusalOf(
  binding: RunBinding | undefined,
  peer: Peer | undefined,
  peers: Pick<PeerLookup, 'isSupported' | 'isHeldInTree'>,
  now: number,
): Refusal | undefined {
  if (!binding) return undefined
  if (binding.expiresAt !== undefined && now >= binding.expiresAt) return 'expired'
  // Without the kernel's tables (not Linux) callers cannot be told apart; serve.ts warns once.
  if (!peers.isSupported) return undefined
  if (!peer) return 'unknown-peer'
  if (peer.uid !== binding.uid) return 'other-uid'
  // The socket's creator has the run's uid; a process of the tree must hold it too. (A socket
  // that a tree process handed to an outsider on purpose is the tree's own choice.)
  if (binding.tree && !peers.isHeldInTree(peer.inode, binding.tree)) return 'outside-tree'
  return undefined
}

interface Verdict {
  caller: Caller
  refusal?: Refusal
}

interface Caller {
  resourceId: string
  binding?: RunBinding
}

/**
 * The binding step of the token handler: the verdict for a connection is reached once (the
 * process lookup reads /proc) and kept for the connection's life; only expiry is checked on
 * every request. A refusal is logged once per connection and answered "Identity not found".
 */
export function createPeerAdmission(o: {
  peers: PeerLookup
  clock: Clock
  log: Logger
  protocol: string
}) {
  const verdicts = new WeakMap<Socket, Verdict>()
  const log = (caller: { resourceId: string }, refusal: Refusal, peer: Peer | undefined) =>
    o.log.warn(
      { protocol: o.protocol, resourceId: caller.resourceId, refusal, peerUid: peer?.uid },
      'identity request refused: caller not bound to the run',
    )
  function decide(socket: Socket, caller: Caller, peer: Peer | undefined): Peer | undefined {
    const now = o.clock.now()
    const expiresAt = caller.binding?.expiresAt
    if (expiresAt !== undefined && now >= expiresAt) {
      log(caller, 'expired', peer)
      throw EndpointErrors.identityNotFound()
    }
    let verdict = verdicts.get(socket)
    if (verdict?.caller !== caller) {
      verdict = { caller, refusal: refusalOf(caller.binding, peer, o.peers, now) }
      verdicts.set(socket, verdict)
      if (verdict.refusal) log(caller, verdict.refusal, peer)
    }
    if (verdict.refusal) throw EndpointErrors.identityNotFound()
    return peer
  }

  /** The peer, admitted (or the refusal thrown); a promise while the connection's is looked up. */
  return (socket: Socket, caller: Caller): Peer | undefined | Promise<Peer | undefined> => {
    // Unbound runs and systems without the tables need no lookup.
    if (!caller.binding || !o.peers.isSupported) return decide(socket, caller, undefined)
    const peer = o.peers.of(socket)
    if (peer instanceof Promise) return peer.then((p) => decide(socket, caller, p ?? undefined))
    return decide(socket, caller, peer ?? undefined)
  }
}
