// A run answers only its own callers (issue 19.1): processes of the run's uid and, for
// `keyless run`, of its process tree; a run registered by `keyless env` also expires. Azure's
// IMDS is safe because each VM has its own network; a loopback port on a shared host is not.
// A refused caller gets the "Identity not found" Azure gives for an unattached identity.
import type { Peer, PeerLookup, ProcessStart } from './peer-process.js'

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
  peers: Pick<PeerLookup, 'isSupported' | 'holders' | 'isInTree'>,
  now: number,
): Refusal | undefined {
  if (!binding) return undefined
  if (binding.expiresAt !== undefined && now >= binding.expiresAt) return 'expired'
  // Without the kernel's tables (not Linux) callers cannot be told apart; serve.ts warns once.
  if (!peers.isSupported) return undefined
  if (!peer) return 'unknown-peer'
  if (peer.uid !== binding.uid) return 'other-uid'
  if (binding.tree) {
    const tree = binding.tree
    const holders = peers.holders(peer.inode)
    // Every process holding the socket must be in the tree: a shared socket proves nothing.
    if (holders.length === 0 || !holders.every((pid) => peers.isInTree(pid, tree))) {
      return 'outside-tree'
    }
  }
  return undefined
}
