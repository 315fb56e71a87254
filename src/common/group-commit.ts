// Group commit: items offered while a write is in flight are written together by the next one,
// and each offer settles when the write that holds it commits (or fails). Under load the
// per-write cost (a transaction, a lock, an fsync) is shared by every item of a batch; with
// no load each item is written alone, at once. No item is ever dropped or acknowledged early,
// so a caller that waits for its offer fails closed.
export type Offer<T> = (item: T) => Promise<void>

export function groupCommit<T>(write: (batch: T[]) => Promise<void>, maxBatch = 256): Offer<T> {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new TypeError('maxBatch must be a positive integer')
  }
  let queue: { item: T; settle: (error?: unknown) => void }[] = []
  let writing = false
  async function drain() {
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
      if (!writing) void drain()
    })
}
