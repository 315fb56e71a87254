// What every step of one directory change works with: the transaction, the tenant and the
// moment of the change. Its own file, so the steps (principals, role assignments, resources,
// groups) import it and one another only in one direction.
import type { Repositories } from '../store/store.js'

export interface ChangeContext {
  tx: Repositories
  tenantId: string
  now: number
}
