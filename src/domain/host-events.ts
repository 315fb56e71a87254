// Which change events an enrolled host may read. A host is told only what its agent acts on
// (common/agent-protocol.ts AGENT_EVENT_KINDS) and only when it concerns that host: the events
// of its own resources and their identities carry the ids of the hosts concerned (`hostIds`,
// written with the event: before and after a move, so both hosts purge), and `host.*` events
// are a host's own. Anything else (other hosts' inventory, role assignments, groups) is the
// operator's: a compromised host must not learn the installation's inventory or RBAC layout.
// Events written before `hostIds` existed reach no host (closed by default).

/** The data field naming the hosts an event concerns (lower-cased host ids). */
export const HOST_IDS = 'hostIds'

const PER_RESOURCE = new Set([
  'identity.detached',
  'resource.created',
  'principal.deleted',
  'resource.deleted',
  'resource.updated',
])
const OWN = new Set(['host.revoked', 'host.renewed', 'host.enrolled'])

export interface HostEventFacts {
  kind: string
  subject: string
  data: Record<string, unknown>
}

/** The host ids an event concerns, for its data: unique, lower-cased, nulls dropped. */
export function hostIdsOf(...hostIds: (string | null | undefined)[]): string[] {
  return [...new Set(hostIds.filter((h): h is string => !!h).map((h) => h.toLowerCase()))]
}

/**
 * `isLocal`: the host of `keyless up`'s own agent, which runs the resources that name no host;
 * their events carry an empty `hostIds` (found when a selector change of a local VM never
 * reached that agent's token cache).
 */
export function isEventForHost(event: HostEventFacts, hostId: string, isLocal = false): boolean {
  const host = hostId.toLowerCase()
  if (OWN.has(event.kind)) return event.subject.toLowerCase() === host
  if (!PER_RESOURCE.has(event.kind)) return false
  const concerned = event.data[HOST_IDS]
  if (!Array.isArray(concerned)) return false
  return concerned.includes(host) || (isLocal && concerned.length === 0)
}

/** The event's data as a host sees it: without the other hosts' ids. */
export function hostView(data: Record<string, unknown>): Record<string, unknown> {
  if (!(HOST_IDS in data)) return data
  const { [HOST_IDS]: _omitted, ...rest } = data
  return rest
}
