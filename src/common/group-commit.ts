// Group commit: items offered in the same turn of the event loop, or while a write is in flight,
// are written together, and each offer settles when the write that holds it commits (or fails).
// Under load the per-write cost (a transaction, a lock, a WAL write or an fsync) is shared by
// every item of a batch; with no load an item waits one turn (setImmediate) and is written
// alone. The turn matters with SQLite: better-sqlite3 is synchronous, so a write completes in
// microtasks and no request that arrives meanwhile could join it; waiting for the check phase
// lets every request read in the same poll phase join. No item is ever dropped or acknowledged
// early, so a caller that waits for its offer fails closed.
export type Offer<T> = (item: T) => Promise<void>

export function groupCommit<T>(write: (batch: T[]) => Promise<void>, maxBatch = 256): Offer<T> {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new TypeError('maxBatch must be a positive integer')
  }
  let queue: { item: T; settle: (error?: unknown) => void }[] = []
  let writing = false
  let scheduled = false
  async function drain() {
    scheduled = false
    writing = true
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      let failure: unknown
      let failed = false
      try {
        await write(batch.map((b) => b.item))
      } catch (error) {
        failed = true
        failure = error
      }
      for (const b of batch) b.settle(failed ? (failure ?? new Error('write failed')) : undefined)
    }
    writing = false
  }
  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, settle: (error) => (error === undefined ? resolve() : reject(error)) })
      if (!writing && !scheduled) {
        scheduled = true
        setImmediate(() => void drain())
      }
    })
}
