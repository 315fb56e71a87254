// The change log: every write appends what it did, inside its own transaction, so the log and
// the state never disagree. Agents and the RBAC index follow it.
import type { Repositories } from '../store/store.js'

export type ChangeKind =
  | 'resourceGroup.created'
  | 'resourceGroup.updated'
  | 'resourceGroup.deleted'
  | 'resource.created'
  | 'resource.updated'
  | 'resource.deleted'
  | 'principal.created'
  | 'principal.deleted'
  | 'identity.attached'
  | 'identity.detached'
  | 'federatedCredential.created'
  | 'federatedCredential.updated'
  | 'federatedCredential.deleted'
  | 'roleAssignment.deleted'
  | 'denyAssignment.deleted'
  | 'host.enrolled'
  | 'host.renewed'
  | 'host.revoked'

export function recordChange(
  tx: Repositories,
  at: number,
  kind: ChangeKind,
  subject: string,
  data: Record<string, unknown> = {},
): Promise<number> {
  return tx.events.append({ at, kind, subject, data: JSON.stringify(data) })
}
