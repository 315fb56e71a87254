// Before `keyless run` starts a program: is `--as` a compute resource that exists and has a
// managed identity? Otherwise the program would start and fail later with an SDK error that
// does not say why. Asked of the control plane when the data directory holds the operator's
// credential (`keyless up`); a host that only runs `keyless agent` has no such credential, and
// there the agent's own answer is what the program gets.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseResourceId } from '../domain/resource-id.js'
import { lookupResourceType } from '../domain/resource-types.js'
import { API_VERSIONS } from './arm-paths.js'
import { createArmClient } from './client.js'
import { CliError, EXIT } from './errors.js'
import { loadInstallation, resolveDataDir } from './installation.js'

const HINT: Record<string, string> = {
  'microsoft.compute/virtualmachines':
    'keyless vm identity assign <vm> -g <group> --identities system',
  'microsoft.web/sites': 'keyless webapp identity assign <app> -g <group> --identities system',
}

export async function checkRunTarget(
  resourceId: string,
  flags: { dataDir?: string; stateDir?: string },
  env: NodeJS.ProcessEnv,
): Promise<void> {
  let rid
  try {
    rid = parseResourceId(resourceId)
  } catch {
    rid = undefined
  }
  // The agent's own code and exit for the same refusal (a usage error).
  if (rid?.type === undefined) {
    throw new CliError(
      EXIT.usage,
      `'${resourceId}' is not the id of a resource`,
      'InvalidResourceId',
    )
  }
  const type = lookupResourceType(rid.type)
  if (!type?.isCompute) {
    throw new CliError(
      EXIT.apiError,
      `--as names a ${rid.type ?? 'scope'}, not a compute resource: run as a virtual machine, a web app (or slot) or a workload`,
    )
  }
  if (flags.stateDir) return
  const dataDir = resolveDataDir(flags.dataDir, env)
  if (!existsSync(join(dataDir, 'endpoints.json'))) return
  const arm = createArmClient(loadInstallation(dataDir))
  let resource: { identity?: { type?: string } }
  try {
    resource = await arm.request('GET', rid.id, {
      apiVersion: API_VERSIONS[type.type] ?? '2024-07-01',
    })
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.notFound) {
      throw new CliError(
        EXIT.notFound,
        `${rid.id} does not exist: create it first (keyless vm create / keyless webapp create)`,
        err.code,
      )
    }
    throw err
  }
  const identity = resource.identity?.type ?? 'None'
  if (identity.toLowerCase() === 'none') {
    const how = HINT[type.key] ?? 'assign a managed identity to it'
    throw new CliError(
      EXIT.apiError,
      `${rid.id} has no managed identity, so the program could get no tokens: enable one first (${how})`,
    )
  }
}
