// Enrolled hosts as Azure Arc represents a machine outside Azure: one
// `Microsoft.HybridCompute/machines` resource per host, with a system-assigned identity that is
// the host's own (https://learn.microsoft.com/azure/azure-arc/servers/managed-identity-authentication).
// The machine is created by enrolling its host and its host never changes; deleting it revokes
// the host (directory/host-revocation.ts). These are the rules, free of I/O.
import { BadRequest } from './errors.js'
import { NAME_RULES } from './names.js'
import { parseResourceId, type ResourceId } from './resource-id.js'
import { HYBRID_MACHINES } from './resource-types.js'

export const MACHINES_KEY = HYBRID_MACHINES.toLowerCase()

/** Who may create join tokens for machines in a resource group: the action Azure's "Azure
 * Connected Machine Onboarding" role grants for `azcmagent connect`. */
export const ONBOARD_MACHINE_ACTION = 'Microsoft.HybridCompute/machines/write'

export const isMachineType = (type: string): boolean => type.toLowerCase() === MACHINES_KEY

/**
 * The machine's name from the host's name, as `azcmagent connect` defaults it to the host name:
 * characters outside the naming rule become '-', cut to 54, and what must not end it trimmed.
 */
export function machineNameOf(hostName: string): string {
  const name = hostName
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 54)
    .replace(/[.-]+$/, '')
    .replace(/^[._-]+/, '')
  return NAME_RULES[MACHINES_KEY]!.pattern.test(name) ? name : 'host'
}

/** The resource group id a join token names, checked: `/subscriptions/<s>/resourceGroups/<g>`. */
export function parseMachineGroup(value: unknown): ResourceId {
  let id: ResourceId | undefined
  try {
    id = typeof value === 'string' ? parseResourceId(value) : undefined
  } catch {
    id = undefined
  }
  if (id?.kind !== 'resourceGroup') {
    throw new BadRequest(
      'InvalidResourceGroupId',
      `resourceGroupId must be a resource group id (/subscriptions/{id}/resourceGroups/{name}), not '${String(value)}'`,
      { target: 'resourceGroupId' },
    )
  }
  return id
}

export const machineId = (group: ResourceId, name: string): ResourceId =>
  parseResourceId(`${group.id}/providers/${HYBRID_MACHINES}/${name}`)

/**
 * The host a write leaves a machine on, or the refusal: only enrollment creates a machine
 * (`enrollingHostId`), a machine stays on its host, and keeps its system-assigned identity.
 */
export function machineHostAfterWrite(w: {
  existingHostId: string | null | undefined
  requestedHostId: string | null | undefined
  enrollingHostId?: string
  removesSystemIdentity: boolean
}): string {
  const host = w.existingHostId ?? w.enrollingHostId
  if (!host) {
    throw new BadRequest(
      'InvalidMachineOperation',
      'a Microsoft.HybridCompute/machines resource is created by enrolling its host (keyless agent --join-token), not by PUT',
    )
  }
  if (w.requestedHostId != null && w.requestedHostId.toLowerCase() !== host.toLowerCase()) {
    throw new BadRequest('InvalidHostId', "a machine's properties.hostId cannot change", {
      target: 'properties.hostId',
    })
  }
  if (w.removesSystemIdentity) {
    throw new BadRequest(
      'InvalidIdentityType',
      "a machine keeps its system-assigned identity: it is its host's own (use SystemAssigned or 'SystemAssigned, UserAssigned')",
      { target: 'identity.type' },
    )
  }
  return host
}
