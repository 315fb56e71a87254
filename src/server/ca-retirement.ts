// Whether the previous CA can be retired: not while an active host still holds a certificate
// the active CA did not sign — that host's agent has not moved over (it renews early once it
// has fetched the new bundle, agent/ca-watch.ts) and would be cut off. A host whose certificate
// has expired holds nothing, and a revoked one is out anyway.
import type { HostRow } from '../store/schema.js'
import type { Repositories } from '../store/store.js'
import { caSubject, type CaSet } from './ca-set.js'

export interface HostNotMovedOver {
  id: string
  name: string
  /** Subject of the CA of its certificate, or `unknown` when issued before it was recorded. */
  issuer: string
}

export function hostsNotMovedOver(rows: HostRow[], set: CaSet, now: number): HostNotMovedOver[] {
  const active = caSubject(set.active.certPem)
  return rows
    .filter((h) => h.state === 'active' && h.cert_not_after > now && h.cert_issuer !== active)
    .map((h) => ({ id: h.id, name: h.name, issuer: h.cert_issuer ?? 'unknown' }))
}

/** Throws the operator's explanation when hosts would be cut off (and `force` is not given). */
export async function checkRetirement(
  tx: Pick<Repositories, 'hosts'>,
  set: CaSet,
  now: number,
  force: boolean,
): Promise<HostNotMovedOver[]> {
  const stuck = hostsNotMovedOver(await tx.hosts.list(), set, now)
  if (stuck.length > 0 && !force) throw new HostsNotMovedOver(stuck)
  return stuck
}

export class HostsNotMovedOver extends Error {
  constructor(readonly hosts: HostNotMovedOver[]) {
    super(
      `${hosts.length} active host(s) still hold a certificate the active CA did not sign; ` +
        'their agents have not moved over (they do within --ca-check-interval of the rotation, ' +
        'once the server runs with the new CA). Retiring now would cut them off; wait, revoke ' +
        'them, or give --force:\n' +
        hosts.map((h) => `  ${h.id}  ${h.name}  (${h.issuer})`).join('\n'),
    )
    this.name = 'HostsNotMovedOver'
  }
}
