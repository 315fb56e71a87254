// `keyless role definition|assignment`: Microsoft.Authorization role definitions and role
// assignments (reference/arm-rbac-dataplane.md §4), with the Azure CLI's flags and meanings.
import { randomUUID } from 'node:crypto'
import type { Command } from 'commander'
import { isGuid } from '../../domain/rbac/role-ids.js'
import type { ArmClient } from '../client.js'
import { apiCommand, examples } from '../command.js'
import { CliError, EXIT, usageError } from '../errors.js'
import {
  AUTHORIZATION_API_VERSION as apiVersion,
  listRoleDefinitions,
  odataString,
  resolveRole,
  roleDefinitionColumns as columns,
  roleDefinitionsPath,
  scopeArg,
  scopeOrSubscription,
  type RoleDefinition,
} from './authorization-args.js'
import { parseRoleFile } from './role-file.js'
import { registerRoleAssignment } from './role-assignment.js'

const scopeHelp = 'scope the roles are seen from (default: the subscription)'

function registerRoleDefinition(role: Command): void {
  const definition = role
    .command('definition')
    .description('manage role definitions: built-in roles and your custom roles')
  examples(definition, [
    'keyless role definition list --custom-only',
    'keyless role definition show Reader',
    'keyless role definition create --file role.json',
  ])

  apiCommand<{ scope?: string; name?: string; customOnly?: boolean }>(
    definition
      .command('list')
      .description('list the role definitions assignable at a scope')
      .option('--scope <scope>', scopeHelp)
      .option('-n, --name <name>', 'only the role with this name or GUID')
      .option('--custom-only', 'only custom roles'),
    async (ctx, _args, opts) => {
      const filter: string[] = []
      const byGuid = opts.name !== undefined && isGuid(opts.name)
      if (opts.name !== undefined && !byGuid) filter.push(`roleName eq ${odataString(opts.name)}`)
      if (opts.customOnly) filter.push(`type eq 'CustomRole'`)
      const roles = await listRoleDefinitions(ctx, scopeOrSubscription(ctx, opts.scope), filter)
      const name = opts.name?.toLowerCase()
      ctx.print(byGuid ? roles.filter((r) => r.name.toLowerCase() === name) : roles, columns)
    },
  )

  apiCommand<{ scope?: string }>(
    definition
      .command('show')
      .description('show a role definition with its permissions')
      .argument('<role>', 'role name, GUID or role definition id')
      .option('--scope <scope>', scopeHelp),
    async (ctx, [name], opts) => {
      ctx.print(await resolveRole(ctx, name!, scopeOrSubscription(ctx, opts.scope)), columns)
    },
  )

  examples(
    apiCommand<{ file: string }>(
      definition
        .command('create')
        .description('create a custom role from a JSON file')
        .requiredOption('-f, --file <path>', "role JSON (Azure CLI's or ARM's shape); - for stdin"),
      async (ctx, _args, opts) => {
        const file = parseRoleFile(opts.file)
        const scopes = file.properties.assignableScopes ?? [`/subscriptions/${ctx.subscriptionId}`]
        if (scopes.length === 0 || typeof scopes[0] !== 'string') {
          throw usageError(`'${opts.file}': assignableScopes must name at least one scope`)
        }
        const path = `${roleDefinitionsPath(scopeArg(scopes[0]))}/${file.guid ?? randomUUID()}`
        if (file.guid) await refuseExisting(ctx.client, path, file.guid)
        const created = await ctx.client.request<RoleDefinition>('PUT', path, {
          apiVersion,
          body: { properties: { ...file.properties, assignableScopes: scopes } },
        })
        ctx.print(created, columns)
      },
    ),
    ['keyless role definition create --file role.json'],
    `role.json, as for \`az role definition create\`:
  {"Name": "Secret Reader", "Description": "reads secrets",
   "Actions": ["Microsoft.KeyVault/vaults/read"], "NotActions": [],
   "DataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action"], "NotDataActions": [],
   "AssignableScopes": ["/subscriptions/<id>/resourceGroups/rg1"]}
ARM's shape {"properties": {"roleName", "permissions": [...], "assignableScopes"}} works too.
AssignableScopes defaults to the subscription; the role is created at the first of them.`,
  )

  apiCommand<{ scope?: string }>(
    definition
      .command('delete')
      .description('delete a custom role (refused while it is assigned)')
      .argument('<role>', 'role name, GUID or role definition id')
      .option('--scope <scope>', scopeHelp),
    async (ctx, [name], opts) => {
      const found = await resolveRole(ctx, name!, scopeOrSubscription(ctx, opts.scope))
      await ctx.client.request('DELETE', `${roleDefinitionsPath(scopeOf(found))}/${found.name}`, {
        apiVersion,
      })
    },
  )
}

/** The scope a role definition id lives under (`/` for the tenant form). */
function scopeOf(role: RoleDefinition): string {
  const at = role.id.slice(0, role.id.toLowerCase().indexOf('/providers/microsoft.authorization/'))
  return scopeArg(at || '/')
}

async function refuseExisting(client: ArmClient, path: string, guid: string) {
  const existing = await client
    .request('GET', path, { apiVersion })
    .catch((err: unknown) =>
      err instanceof CliError && err.exitCode === EXIT.notFound ? undefined : Promise.reject(err),
    )
  if (existing !== undefined) {
    throw new CliError(
      EXIT.apiError,
      `role definition '${guid}' already exists: delete it first, or leave out "name" for a new GUID`,
      'RoleDefinitionExists',
    )
  }
}

export function registerRole(program: Command): void {
  const role = program.command('role').description('manage role definitions and role assignments')
  examples(role, [
    'keyless role assignment create --assignee <principalId> --role Reader --scope /subscriptions/<id>/resourceGroups/rg1',
    'keyless role definition list --custom-only',
  ])
  registerRoleDefinition(role)
  registerRoleAssignment(role)
}
