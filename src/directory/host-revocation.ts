// Revoking a host, the one step that the operator's revoke and the deletion of the host's
// machine resource both take, inside the caller's transaction. Idempotent: a revoked host stays
// as it was revoked, with its first revocation time.
import type { ChangeContext } from './change-context.js'
import { recordChange } from './events.js'

/** Marks the host revoked and appends `host.revoked`; false if it was revoked already. */
export async function revokeHostRow({ tx, now }: ChangeContext, hostId: string): Promise<boolean> {
  const host = await tx.hosts.fetch(hostId)
  if (!host || host.state === 'revoked') return false
  await tx.hosts.update(hostId, { state: 'revoked', revoked_at: now })
  await recordChange(tx, now, 'host.revoked', hostId)
  return true
}
