import type { Clock } from '../domain/clock.js'
import type { Repositories, Store } from '../store/store.js'

/** What the authz operations share: the store, the clock, and a way to bring the index up to
 * date with what they have just committed. */
export interface OpsContext {
  store: Store
  clock: Clock
  /** Read through `tx` inside a transaction: SQLite serves one connection at a time. */
  tenantId(tx: Repositories): Promise<string>
  sync(): Promise<void>
}
