// The commands of a compute resource type, from one table entry: create, show, list, delete and
// `identity assign|remove|show`. `vm`, `webapp` and `webapp slot` are three entries of this.
import { Option, type Command } from 'commander'
import { apiCommand, examples, groupOption, tagsOption, type Context } from '../command.js'
import { computeColumns, type ArmResource } from '../columns.js'
import { identityForCreate } from '../identity-args.js'
import {
  addSelectorOptions,
  selectorsOf,
  withSelectors,
  type SelectorOptions,
} from '../selector-options.js'
import { CliError, EXIT } from '../errors.js'
import {
  apiVersion,
  identityRequest,
  path,
  samples,
  withNames,
  words,
  type ComputeKind,
  type Located,
} from './compute-kind.js'
import { registerComputeIdentity } from './compute-identity.js'
import { groupLocation, registerDelete, registerList, registerShow } from './resource-commands.js'

export type { ComputeKind } from './compute-kind.js'

/**
 * A PUT replaces the resource, and an `identity` it leaves out is removed, deleting the system
 * identity's principal and its role assignments. So `create` creates only; identities change
 * through `identity assign|remove`.
 */
async function refuseExisting(ctx: Context, kind: ComputeKind, group: string, names: string[]) {
  const existing = await ctx.client
    .request<ArmResource>('GET', path(ctx, kind, group, names), { apiVersion: apiVersion(kind) })
    .catch((err: unknown) => {
      if (err instanceof CliError && err.exitCode === EXIT.notFound) return undefined
      throw err
    })
  if (existing === undefined) return
  throw new CliError(
    EXIT.apiError,
    `${kind.label} '${existing.name}' already exists in resource group '${group}': ` +
      `change its identities with '${words(kind)} identity assign|remove'`,
    'ResourceExists',
  )
}

function registerCrud(parent: Command, kind: ComputeKind): void {
  const columns = computeColumns(kind.showKind ?? false)
  const resourceType = { ...kind, apiVersion: apiVersion(kind), columns }
  const sample = samples(kind.names)

  const create = withNames(
    parent.command('create').description(`create a ${kind.label}`),
    kind.names,
  )
    .addOption(groupOption())
    .option(
      '-l, --location <location>',
      `location (default: the ${kind.names.length > 1 ? kind.names[0]!.arg : 'resource group'}'s)`,
    )
    .addOption(
      new Option(
        '--assign-identity [identity...]',
        "identities to enable: 'system' (the default when none is named) and user-assigned " +
          'identity names (same group) or resource ids',
      ),
    )
    .addOption(tagsOption())
  addSelectorOptions(create).option(
    '--host <hostId>',
    'the host it runs on, whose agent serves its tokens (`keyless host list`; default: the local agent)',
  )
  kind.createOptions?.(create)
  examples(
    create,
    [
      `${words(kind)} create ${sample} -g rg1 --assign-identity`,
      `${words(kind)} create ${sample} -g rg1 --assign-identity system id1`,
      `${words(kind)} create ${sample} -g rg1 --assign-identity /subscriptions/…/userAssignedIdentities/id1`,
      `${words(kind)} create ${sample} -g rg1 --allow-uid 1000 --allow-unit app.service --assign-identity`,
    ],
    '--assign-identity takes every word after it: put it after the names.',
  )
  apiCommand<
    Located &
      SelectorOptions & {
        location?: string
        assignIdentity?: true | string[]
        tags?: Record<string, string>
        host?: string
      }
  >(create, async (ctx, names, opts) => {
    const group = opts.resourceGroup
    const values = opts.assignIdentity === true ? ['system'] : (opts.assignIdentity ?? [])
    const request = identityRequest(ctx, group, values)
    const created = identityForCreate(request)
    const identity = created && withSelectors(created, request.system, selectorsOf(opts))
    const defaults = kind.createDefaults
      ? await kind.createDefaults(ctx, group, names)
      : opts.location === undefined
        ? { location: await groupLocation(ctx, group) }
        : undefined
    await refuseExisting(ctx, kind, group, names)
    const body: Record<string, unknown> = {
      location: opts.location ?? defaults?.location,
      tags: opts.tags ?? {},
      properties: opts.host === undefined ? {} : { hostId: opts.host },
    }
    const kindValue = kind.kindOf?.(opts) ?? defaults?.kind
    if (kindValue) body.kind = kindValue
    if (identity) body.identity = identity
    const resource = await ctx.client.request<ArmResource>('PUT', path(ctx, kind, group, names), {
      apiVersion: apiVersion(kind),
      body,
    })
    ctx.print(resource, columns)
  })

  registerShow(parent, resourceType)
  registerList(parent, resourceType)
  registerDelete(parent, resourceType, {
    description: `delete a ${kind.label}; its system-assigned identity goes with it`,
    // Its principal and that principal's role assignments go too: ask, as `group delete` does.
    confirmAction: (names) =>
      `delete ${kind.label} '${names.join('/')}' and its system-assigned identity`,
  })
}

/** The `<kind.command>` group with its create/show/list/delete and identity subcommands. */
export function registerCompute(parent: Command, kind: ComputeKind, description: string): Command {
  // parent.command(), not addCommand(): only the former passes on exitOverride and the rest
  const cmd = parent.command(kind.command).description(description)
  registerCrud(cmd, kind)
  registerComputeIdentity(cmd, kind)
  return cmd
}
