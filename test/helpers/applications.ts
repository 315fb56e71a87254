// An application principal with a client secret, written into a running installation's store
// (as a later API will create them): a second, unprivileged caller for authorization tests.
import { randomUUID } from 'node:crypto'
import { hashClientSecret } from '../../src/sts/client-secret.js'
import type { Store } from '../../src/store/store.js'

export interface Application {
  objectId: string
  appId: string
  secret: string
}

export async function addApplication(
  openStore: () => Promise<Store>,
  tenantId: string,
): Promise<Application> {
  const app = { objectId: randomUUID(), appId: randomUUID(), secret: `kls~${randomUUID()}` }
  const store = await openStore()
  try {
    await store.transaction(async (tx) => {
      await tx.principals.create({
        object_id: app.objectId,
        app_id: app.appId,
        tenant_id: tenantId,
        display_name: 'another-app',
        principal_type: 'Application',
        identity_kind: null,
        alternative_names: '[]',
        resource_key: null,
        created_at: Date.now(),
      })
      await tx.clientSecrets.create({
        id: randomUUID(),
        app_id: app.appId,
        secret_hash: hashClientSecret(app.secret),
        created_at: Date.now(),
        expires_at: null,
      })
    })
  } finally {
    await store.close()
  }
  return app
}
