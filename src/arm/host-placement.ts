// Placing a compute resource on a host (`properties.hostId`, a Keyless extension) runs its
// workloads, and hands its identities' tokens, to that host's agent. So, as attaching a
// user-assigned identity needs `assign/action` on the identity, placing needs a linked
// permission on the host: `Microsoft.HybridCompute/machines/write` on the host's machine (whoever
// may change the machine may run workloads on it; the same action enrolls one). A host enrolled
// without a machine, or an id that names no active host, is decided at the root scope `/`, the
// installation's own (so a caller without rights there cannot probe which host ids exist).
// Only a change of placement is checked: re-sending the current hostId with other edits needs
// nothing more than the write itself.
import { NotFound } from '../domain/errors.js'
import { ONBOARD_MACHINE_ACTION } from '../domain/machines.js'
import type { Directory } from '../directory/directory.js'
import type { AccessCheck } from './actions.js'
import type { Target } from './target.js'

export const PLACE_ON_HOST = ONBOARD_MACHINE_ACTION

/** The host's machine id for an active host, else undefined (directory/hosts.ts). */
export type MachineIdOf = (hostId: string) => Promise<string | undefined>

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const field = (o: Record<string, unknown>, name: string) =>
  Object.entries(o).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]

/** The `properties.hostId` a PUT or PATCH body asks for, when it names one. */
export function requestedHostId(body: unknown): string | undefined {
  const properties = isObject(body) ? field(body, 'properties') : undefined
  const hostId = isObject(properties) ? field(properties, 'hostId') : undefined
  return typeof hostId === 'string' ? hostId : undefined
}

export async function hostPlacementCheck(
  target: Target,
  method: string,
  body: unknown,
  o: { directory: Directory; machineIdOf: MachineIdOf },
): Promise<AccessCheck | undefined> {
  if (target.kind !== 'resource' || (method !== 'PUT' && method !== 'PATCH')) return undefined
  const hostId = requestedHostId(body)
  if (hostId === undefined) return undefined
  const current = await o.directory.getResource(target.id).then(
    (r) => r.hostId,
    (err: unknown) => {
      if (err instanceof NotFound) return undefined
      throw err
    },
  )
  if (typeof current === 'string' && current.toLowerCase() === hostId.toLowerCase())
    return undefined
  return { action: PLACE_ON_HOST, scope: (await o.machineIdOf(hostId)) ?? '/' }
}
