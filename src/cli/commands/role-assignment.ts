// `keyless role assignment create|list|delete`, with `az role assignment`'s meanings: `list`
// shows the assignments at exactly the scope unless `--include-inherited` or `--all`, and
// `create` is idempotent (an identical assignment is printed, not refused).
import { randomUUID } from 'node:crypto'
import { Option, type Command } from 'commander'
import { apiCommand, examples, type Context } from '../command.js'
import type { Column } from '../output.js'
import { CliError, EXIT, usageError } from '../errors.js'
import { resolvePrincipal } from './principal-args.js'
import {
  AUTHORIZATION_API_VERSION as apiVersion,
  odataString,
  resolveRole,
  roleAssignmentPath,
  roleAssignmentsPath,
  roleGuidOf,
  roleNames,
  sameScope,
  scopeArg,
  scopeOrSubscription,
  type RoleAssignment,
} from './authorization-args.js'

const ASSIGNEE_HELP = 'object id, app id (client id), or resource id of an identity'
const SCOPE_EXAMPLE = '/subscriptions/<id>/resourceGroups/rg1'

function columns(names: Map<string, string>): Column<RoleAssignment>[] {
  return [
    { header: 'Principal', value: (a) => a.properties.principalId },
    {
      header: 'Role',
      value: (a) => {
        const guid = roleGuidOf(a.properties.roleDefinitionId)
        return names.get(guid) ?? guid
      },
    },
    { header: 'Scope', value: (a) => a.properties.scope },
    { header: 'Name', value: (a) => a.name },
  ]
}

async function print(ctx: Context, json: unknown, rows: RoleAssignment[]) {
  const names = ctx.format === 'table' ? await roleNames(ctx) : new Map<string, string>()
  ctx.print(json, columns(names), rows)
}

interface Query {
  scope: string
  principalId?: string
  roleGuid?: string
  /** Keep assignments above the scope too (`atScope()` returns those). */
  inherited?: boolean
  /** Everything at, above and below the scope. */
  all?: boolean
}

async function findAssignments(ctx: Context, q: Query): Promise<RoleAssignment[]> {
  const filter = [
    ...(q.all ? [] : ['atScope()']),
    ...(q.principalId ? [`principalId eq ${odataString(q.principalId)}`] : []),
  ]
  const found = await ctx.client.list<RoleAssignment>(roleAssignmentsPath(q.scope), {
    apiVersion,
    query: filter.length > 0 ? { $filter: filter.join(' and ') } : {},
  })
  return found.filter(
    (a) =>
      (q.all || q.inherited || sameScope(a.properties.scope, q.scope)) &&
      (!q.roleGuid || roleGuidOf(a.properties.roleDefinitionId) === q.roleGuid),
  )
}

function registerCreate(assignment: Command): void {
  apiCommand<{ assignee: string; role: string; scope: string }>(
    examples(
      assignment
        .command('create')
        .description('assign a role to a principal at a scope')
        .requiredOption('--assignee <principal>', ASSIGNEE_HELP)
        .requiredOption('--role <role>', 'role name, GUID or role definition id')
        .requiredOption('--scope <scope>', `scope, e.g. ${SCOPE_EXAMPLE}`),
      [
        `keyless role assignment create --assignee <principalId> --role Reader --scope ${SCOPE_EXAMPLE}`,
        `keyless role assignment create --assignee ${SCOPE_EXAMPLE}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1 --role "Key Vault Secrets User" --scope ${SCOPE_EXAMPLE}`,
      ],
      'Creating an assignment that already exists prints the existing one and exits 0.',
    ),
    async (ctx, _args, opts) => {
      const scope = scopeArg(opts.scope)
      const principal = await resolvePrincipal(ctx, opts.assignee)
      const role = await resolveRole(ctx, opts.role, scope)
      const body = { properties: { roleDefinitionId: role.id, ...principal } }
      const path = `${roleAssignmentsPath(scope)}/${randomUUID()}`
      const created = await ctx.client
        .request<RoleAssignment>('PUT', path, { apiVersion, body })
        .catch(async (err: unknown) => {
          if (!(err instanceof CliError) || err.code !== 'RoleAssignmentExists') throw err
          const q = { scope, principalId: principal.principalId, roleGuid: roleGuidOf(role.id) }
          const [existing] = await findAssignments(ctx, q)
          if (!existing) throw err
          return existing
        })
      const names = new Map([[roleGuidOf(role.id), role.properties.roleName]])
      ctx.print(created, columns(names))
    },
  )
}

function registerList(assignment: Command): void {
  apiCommand<{
    scope?: string
    assignee?: string
    role?: string
    includeInherited?: boolean
    all?: boolean
  }>(
    examples(
      assignment
        .command('list')
        .description('list role assignments (by default those at the subscription itself)')
        .option('--scope <scope>', 'scope (default: the subscription)')
        .option('--assignee <principal>', `only this principal's: ${ASSIGNEE_HELP}`)
        .option('--role <role>', 'only this role (name, GUID or role definition id)')
        .option('--include-inherited', 'also the assignments above the scope')
        .option('--all', 'every assignment at, above and below the scope'),
      [
        `keyless role assignment list --scope ${SCOPE_EXAMPLE}`,
        'keyless role assignment list --assignee <principalId> --all',
      ],
    ),
    async (ctx, _args, opts) => {
      const scope = scopeOrSubscription(ctx, opts.scope)
      const principalId = opts.assignee && (await resolvePrincipal(ctx, opts.assignee)).principalId
      const roleGuid = opts.role && roleGuidOf((await resolveRole(ctx, opts.role, scope)).id)
      const found = await findAssignments(ctx, {
        scope,
        principalId,
        roleGuid,
        inherited: opts.includeInherited,
        all: opts.all,
      })
      await print(ctx, found, found)
    },
  )
}

function registerDelete(assignment: Command): void {
  apiCommand<{ ids?: string[]; assignee?: string; role?: string; scope?: string }>(
    examples(
      assignment
        .command('delete')
        .description('delete role assignments by id, or by assignee, role and scope')
        .addOption(
          new Option('--ids <id...>', 'role assignment ids').conflicts([
            'assignee',
            'role',
            'scope',
          ]),
        )
        .option('--assignee <principal>', ASSIGNEE_HELP)
        .option('--role <role>', 'role name, GUID or role definition id')
        .option('--scope <scope>', 'scope (default: the subscription)'),
      [
        'keyless role assignment delete --ids "$(keyless role assignment list --scope … -o json | jq -r .[0].id)"',
        `keyless role assignment delete --assignee <principalId> --role Reader --scope ${SCOPE_EXAMPLE}`,
      ],
      'Exits 3 when nothing matches (an id that does not exist, or no such assignment).',
    ),
    async (ctx, _args, opts) => {
      if (opts.ids) return deleteByIds(ctx, opts.ids)
      if (!opts.assignee || !opts.role) {
        throw usageError('name the assignments: --ids <id...>, or --assignee and --role [--scope]')
      }
      const scope = scopeOrSubscription(ctx, opts.scope)
      const principalId = (await resolvePrincipal(ctx, opts.assignee)).principalId
      const role = await resolveRole(ctx, opts.role, scope)
      const found = await findAssignments(ctx, {
        scope,
        principalId,
        roleGuid: roleGuidOf(role.id),
      })
      if (found.length === 0) {
        throw new CliError(
          EXIT.notFound,
          `no assignment of role '${role.properties.roleName}' to '${principalId}' at scope '${scope}'`,
          'RoleAssignmentNotFound',
        )
      }
      await deleteByIds(
        ctx,
        found.map((a) => a.id),
      )
    },
  )
}

async function deleteByIds(ctx: Context, ids: string[]): Promise<void> {
  const paths = ids.map(roleAssignmentPath)
  const missing: string[] = []
  for (const [i, path] of paths.entries()) {
    // ARM answers 200 with the deleted assignment, or 204 when there was none.
    const deleted = await ctx.client.request('DELETE', path, { apiVersion })
    if (deleted === undefined) missing.push(ids[i]!)
  }
  if (missing.length > 0) {
    throw new CliError(
      EXIT.notFound,
      `no role assignment ${missing.map((m) => `'${m}'`).join(', ')}`,
      'RoleAssignmentNotFound',
    )
  }
}

export function registerRoleAssignment(role: Command): void {
  const assignment = role
    .command('assignment')
    .description('manage role assignments: who has which role at which scope')
  registerCreate(assignment)
  registerList(assignment)
  registerDelete(assignment)
}
