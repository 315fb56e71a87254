// `keyless server rotate-master-key`: every value sealed under the old master key's purpose keys
// is opened and sealed again under the new one's, and the key check replaced, in one
// transaction under the cluster's initialisation lock: either everything is under the new key
// or nothing changed. Replicas still running with the old key then refuse their next start
// (the check no longer matches), so the procedure is: stop every replica, rotate, start them
// with the new key (docs/replicas.md).
import { deriveKeyHierarchy, type KeyPurpose } from '../common/key-hierarchy.js'
import { masterKeyCheck, matchesMasterKeyCheck } from '../common/master-key-check.js'
import { resealJwe } from '../common/sealed-jwe.js'
import type { SealedColumn } from '../store/sealed-value-store.js'
import type { Store } from '../store/store.js'
import { CLUSTER_ROWS, MasterKeyMismatch } from './cluster-state.js'

const PURPOSE_OF: Record<SealedColumn, KeyPurpose> = {
  signingKeys: 'signing-keys',
  vaultSecrets: 'vault-secrets',
  vaultKeys: 'vault-keys',
  clusterState: 'cluster-state',
}

export type RotationCounts = Record<SealedColumn, number>

export async function rotateMasterKey(
  store: Store,
  oldKey: Uint8Array,
  newKey: Uint8Array,
  now: number,
): Promise<RotationCounts> {
  const from = deriveKeyHierarchy(oldKey)
  const to = deriveKeyHierarchy(newKey)
  return store.transaction(async (tx) => {
    await tx.clusterState.lockForInitialisation()
    const check = await tx.clusterState.fetch(CLUSTER_ROWS.keyCheck)
    if (check === undefined)
      throw new TypeError('this database has not been initialised by keyless server')
    if (!matchesMasterKeyCheck(from, check.value)) throw new MasterKeyMismatch()
    if ((await tx.sealedValues.countBlobs()) > 0) {
      throw new TypeError(
        'blob content is sealed in files on the replicas, which this command cannot re-seal: ' +
          'copy the blobs out and delete them first (docs/replicas.md)',
      )
    }
    const counts = {} as RotationCounts
    for (const column of Object.keys(PURPOSE_OF) as SealedColumn[]) {
      const purpose = PURPOSE_OF[column]
      counts[column] = await tx.sealedValues.resealAll(column, async (value) =>
        column === 'clusterState' && value === check.value
          ? null
          : resealJwe(value, from.forPurpose(purpose), to.forPurpose(purpose)),
      )
    }
    await tx.clusterState.save({
      name: CLUSTER_ROWS.keyCheck,
      value: masterKeyCheck(to),
      updated_at: now,
    })
    return counts
  })
}
