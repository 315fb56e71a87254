// Changes to a container's blobs commit in one transaction with the container row locked, so
// conditions are checked against the version being replaced and two writers never interleave.
// Files the change makes unreachable are deleted after the commit; a file written for a change
// that fails is deleted at once.
import { Conflict } from '../../domain/errors.js'
import type { Repositories } from '../../store/store.js'
import type { Call } from './call.js'
import { BlobErrors } from './errors.js'

export interface Committed<T> {
  result: T
  /** Content files no row names any more. */
  unreachable: Array<string | undefined>
}

export async function commitInContainer<T>(
  call: Call,
  containerId: string,
  change: (tx: Repositories) => Promise<Committed<T>>,
  written: readonly string[] = [],
): Promise<T> {
  let committed: Committed<T>
  try {
    committed = await call.svc.o.store.transaction(async (tx) => {
      if (!(await tx.blobContainers.lock(containerId))) throw BlobErrors.containerNotFound()
      return change(tx)
    })
  } catch (error) {
    await call.svc.files.remove(written)
    // The container was deleted between the lock and the insert (its rows cascade away).
    if (error instanceof Conflict) throw BlobErrors.containerNotFound()
    throw error
  }
  await call.svc.files.remove(committed.unreachable.filter((f): f is string => f !== undefined))
  return committed.result
}
