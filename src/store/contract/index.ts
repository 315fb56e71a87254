// The store contract: one suite that every dialect must pass (STYLE §7; SPIRE
// `datastore/sqltest`). `open` returns a store over the same database each time it is called,
// so the suite can reopen it; tests create rows with random ids and assert only on their own.
import { after, before, describe } from 'node:test'
import type { Store } from '../index.js'
import { describeBlobs } from './blob.contract.js'
import { describeHierarchy } from './hierarchy.contract.js'
import { describeHosts } from './hosts.contract.js'
import { describeFederatedCredentials } from './federated-credentials.contract.js'
import { describeEvents, describeSigningKeys } from './keys-events.contract.js'
import { describeLogs, type ExecSql } from './logs.contract.js'
import { describeLifecycle } from './lifecycle.contract.js'
import { describePaging } from './paging.contract.js'
import { describePortalSessions } from './portal-sessions.contract.js'
import { describePrincipals } from './principals.contract.js'
import { describeRbac } from './rbac.contract.js'
import { describeQueues } from './queue.contract.js'
import { describeResources } from './resources.contract.js'
import { describeTransactions } from './transactions.contract.js'
import { describeVault } from './vault.contract.js'

/** `exec` runs raw SQL on the store's database, for the tests that tamper with it. */
export function runStoreContract(name: string, open: () => Promise<Store>, exec?: ExecSql): void {
  describe(`${name} store contract`, () => {
    let opened: Store | undefined
    const store = (): Store => {
      if (opened === undefined) throw new Error('store is not open')
      return opened
    }
    before(async () => {
      opened = await open()
    })
    after(async () => {
      await opened?.close()
    })

    describeEvents(store)
    describeHierarchy(store)
    describeResources(store)
    describePaging(store)
    describePrincipals(store)
    describeSigningKeys(store)
    describeRbac(store)
    describeTransactions(store)
    describeHosts(store)
    describePortalSessions(store)
    describeBlobs(store)
    describeQueues(store)
    describeVault(store)
    describeLogs(store, exec)
    describeFederatedCredentials(store)
    describeLifecycle(open)
  })
}
