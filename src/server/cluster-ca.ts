// `keyless server rotate-ca` and `retire-ca`: the CA set of replicas, in the cluster state
// (cluster-state.ts), changed in one transaction under the initialisation lock. Replicas read
// the set when they start: after either command, restart them (one by one is fine); until a
// replica restarts it goes on with the set it started with.
import type { KeyHierarchy } from '../common/key-hierarchy.js'
import { matchesMasterKeyCheck } from '../common/master-key-check.js'
import type { NameScope } from '../common/pki.js'
import type { Repositories, Store } from '../store/store.js'
import { retiredCaSet, rotatedCaSet, type CaSet } from './ca-set.js'
import { checkRetirement, type HostNotMovedOver } from './ca-retirement.js'
import { CLUSTER_ROWS, MasterKeyMismatch, openCaSet, sealedRows } from './cluster-state.js'

async function clusterCaSet(tx: Repositories, keys: KeyHierarchy, now: number) {
  await tx.clusterState.lockForInitialisation()
  const check = await tx.clusterState.fetch(CLUSTER_ROWS.keyCheck)
  if (check === undefined)
    throw new TypeError('this database has not been initialised by keyless server')
  if (!matchesMasterKeyCheck(keys, check.value)) throw new MasterKeyMismatch()
  const sealed = sealedRows(tx, keys, now)
  const set = await openCaSet(sealed)
  if (!set.active) throw new TypeError('this database has no CA yet: start a replica once')
  return { sealed, set: set as CaSet }
}

export async function rotateClusterCa(
  store: Store,
  keys: KeyHierarchy,
  now: number,
  names: NameScope,
): Promise<CaSet> {
  return store.transaction(async (tx) => {
    const { sealed, set } = await clusterCaSet(tx, keys, now)
    const next = await rotatedCaSet(set, now, names)
    await sealed.save(CLUSTER_ROWS.caPrevious, next.previous)
    await sealed.save(CLUSTER_ROWS.ca, next.active)
    return next
  })
}

/** Retires the previous CA; the shared TLS certificate it signed is re-issued under the active
 * CA by the next replica to start (cluster-state.ts). */
export async function retireClusterCa(
  store: Store,
  keys: KeyHierarchy,
  now: number,
  force: boolean,
): Promise<{ set: CaSet; forced: HostNotMovedOver[] }> {
  return store.transaction(async (tx) => {
    const { sealed, set } = await clusterCaSet(tx, keys, now)
    const next = retiredCaSet(set)
    const forced = await checkRetirement(tx, set, now, force)
    await sealed.save(CLUSTER_ROWS.caPrevious, null)
    return { set: next, forced }
  })
}
