// First start of an installation: the tenant, its default subscription and the operator's
// application principal, created together in one transaction. Later starts find them and only
// issue a new operator secret when the caller lost the old one (the store keeps only digests).
import { randomUUID } from 'node:crypto'
import type { Store, Repositories } from '../store/store.js'

export interface Installation {
  tenantId: string
  subscriptionId: string
  operator: { objectId: string; appId: string }
}

export interface BootstrapResult extends Installation {
  /** A fresh operator secret, present only when one was issued by this call. */
  operatorSecret?: string
}

export interface BootstrapOptions {
  now: number
  /** Issue a new operator secret (replacing the old ones), e.g. because its file is gone. */
  issueSecret: boolean
  generateSecret: () => string
  hashSecret: (secret: string) => string
}

export const OPERATOR_DISPLAY_NAME = 'keyless-operator'

async function findInstallation(tx: Repositories): Promise<Installation | undefined> {
  const [tenant] = await tx.tenants.list()
  if (!tenant) return undefined
  const [subscription] = await tx.subscriptions.list(tenant.id)
  const operatorRow = (await tx.principals.list({ limit: 1000 })).items.find(
    (p) => p.principal_type === 'Application' && p.display_name === OPERATOR_DISPLAY_NAME,
  )
  if (!subscription || !operatorRow) throw new TypeError('the store holds a partial installation')
  return {
    tenantId: tenant.id,
    subscriptionId: subscription.id,
    operator: { objectId: operatorRow.object_id, appId: operatorRow.app_id },
  }
}

export async function bootstrapInstallation(
  store: Store,
  o: BootstrapOptions,
): Promise<BootstrapResult> {
  return store.transaction((tx) => bootstrapInTransaction(tx, o))
}

/** The same, inside a transaction the caller holds (replicas: with the cluster's state). */
export async function bootstrapInTransaction(
  tx: Repositories,
  o: BootstrapOptions,
): Promise<BootstrapResult> {
  let inst = await findInstallation(tx)
  const fresh = !inst
  if (!inst) {
    inst = {
      tenantId: randomUUID(),
      subscriptionId: randomUUID(),
      operator: { objectId: randomUUID(), appId: randomUUID() },
    }
    await tx.tenants.create({ id: inst.tenantId, display_name: 'Keyless', created_at: o.now })
    await tx.subscriptions.create({
      id: inst.subscriptionId,
      tenant_id: inst.tenantId,
      display_name: 'Keyless default subscription',
      state: 'Enabled',
      created_at: o.now,
    })
    await tx.principals.create({
      object_id: inst.operator.objectId,
      app_id: inst.operator.appId,
      tenant_id: inst.tenantId,
      display_name: OPERATOR_DISPLAY_NAME,
      principal_type: 'Application',
      identity_kind: null,
      alternative_names: '[]',
      resource_key: null,
      created_at: o.now,
    })
    await tx.events.append({
      at: o.now,
      kind: 'installation.created',
      subject: inst.tenantId,
      data: JSON.stringify(inst),
    })
  }
  if (!fresh && !o.issueSecret) return inst
  const secret = o.generateSecret()
  await tx.clientSecrets.deleteByAppId(inst.operator.appId)
  await tx.clientSecrets.create({
    id: randomUUID(),
    app_id: inst.operator.appId,
    secret_hash: o.hashSecret(secret),
    created_at: o.now,
    expires_at: null,
  })
  await tx.events.append({
    at: o.now,
    kind: 'principal.secret.issued',
    subject: inst.operator.objectId,
    data: '{}',
  })
  return { ...inst, operatorSecret: secret }
}
