// Revoking a host, the one step that the operator's revoke and the deletion of the host's
// machine resource both take, inside the caller's transaction. Idempotent: a revoked host stays
// as it was revoked, with its first revocation time.
import type { ChangeContext } from './change-context.js'
import { recordChange } from './events.js'

/** `host.revoked` data: the keys of the resources the host ran when it was revoked. */
export const HOST_RESOURCE_KEYS = 'resourceKeys'

/** Marks the host revoked and appends `host.revoked`; false if it was revoked already. */
export async function revokeHostRow({ tx, now }: ChangeContext, hostId: string): Promise<boolean> {
  const host = await tx.hosts.fetch(hostId)
  if (!host || host.state === 'revoked') return false
  await tx.hosts.update(hostId, { state: 'revoked', revoked_at: now })
  // The resources it runs, so that verifiers refuse the tokens it obtained for them (tokens
  // name their resource, not their host: directory/token-revocations.ts). The local host also
  // runs the resources placed on no host (isHostedBy).
  const resourceKeys: string[] = []
  for (const runner of host.is_local === 1 ? [hostId, null] : [hostId]) {
    for (let after: string | undefined; ;) {
      const page = await tx.resources.list({ hostId: runner }, { limit: 1000, after })
      resourceKeys.push(...page.items.map((r) => r.key))
      if (!(after = page.next)) break
    }
  }
  await recordChange(tx, now, 'host.revoked', hostId, { [HOST_RESOURCE_KEYS]: resourceKeys })
  return true
}
