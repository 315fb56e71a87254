// The commands every resource type shares, built from one description of the type: show, list,
// delete, and a plain create (location, tags and the type's own body). compute.ts builds vm and
// webapp from the first three (its create manages identities); vault.ts and storage.ts use all
// four.
import type { Command } from 'commander'
import { apiCommand, examples, groupOption, tagsOption, type Context } from '../command.js'
import {
  collectionPath,
  groupOf,
  groupPath,
  resourcePath,
  RESOURCE_GROUPS_API_VERSION,
} from '../arm-paths.js'
import type { ArmResource } from '../columns.js'
import { confirm } from '../confirm.js'
import type { Column } from '../output.js'
import { samples, withNames, type Located, type NameArgument } from './compute-kind.js'

export interface ResourceType {
  /** How the commands call it: `key vault`. */
  label: string
  /** ARM type, e.g. `Microsoft.KeyVault/vaults`. */
  type: string
  apiVersion: string
  /** One positional name per level of the type. */
  names: readonly NameArgument[]
  columns: readonly Column<ArmResource>[]
}

/** Name, ResourceGroup, Location and the type's own columns. */
export function resourceColumns(...own: Column<ArmResource>[]): Column<ArmResource>[] {
  return [
    { header: 'Name', value: (r) => r.name },
    { header: 'ResourceGroup', value: (r) => groupOf(r.id) },
    { header: 'Location', value: (r) => r.location },
    ...own,
  ]
}

/** The location a resource created in `group` gets when `-l` is not given. */
export async function groupLocation(ctx: Context, group: string): Promise<string> {
  const rg = await ctx.client.request<ArmResource>('GET', groupPath(ctx.subscriptionId, group), {
    apiVersion: RESOURCE_GROUPS_API_VERSION,
  })
  return rg.location ?? ''
}

/** `keyless vault` for the command registered under `vault` (its parents' names). */
function commandLine(cmd: Command): string {
  const words: string[] = []
  for (let c: Command | null = cmd; c; c = c.parent) words.unshift(c.name())
  return words.join(' ')
}

/** The one example each generated command shows (`keyless vault show kv1 -g rg1`). */
function sampleLine(cmd: Command, names: readonly NameArgument[], tail: string): string {
  return [commandLine(cmd), samples(names), tail].filter((w) => w !== '').join(' ')
}

const pathOf = (ctx: Context, t: ResourceType, group: string, names: readonly string[]) =>
  resourcePath(ctx.subscriptionId, group, t.type, names)

export interface CreateSpec {
  description: string
  /** The PUT body but for `location` and `tags`. */
  body: (ctx: Context) => Record<string, unknown>
  examples: readonly string[]
}

/** `create <names> -g [-l] [--tags]`: a PUT, so it also updates the location and tags. */
function registerCreate(parent: Command, t: ResourceType, spec: CreateSpec): Command {
  const cmd = withNames(parent.command('create').description(spec.description), t.names)
    .addOption(groupOption())
    .option('-l, --location <location>', "location (default: the resource group's)")
    .addOption(tagsOption())
  examples(cmd, spec.examples)
  return apiCommand<Located & { location?: string; tags?: Record<string, string> }>(
    cmd,
    async (ctx, names, opts) => {
      const group = opts.resourceGroup
      const location = opts.location ?? (await groupLocation(ctx, group))
      const body = { ...spec.body(ctx), location, tags: opts.tags ?? {} }
      const resource = await ctx.client.request<ArmResource>('PUT', pathOf(ctx, t, group, names), {
        apiVersion: t.apiVersion,
        body,
      })
      ctx.print(resource, t.columns)
    },
  )
}

export function registerShow(parent: Command, t: ResourceType): Command {
  const cmd = withNames(parent.command('show').description(`show a ${t.label}`), t.names)
  examples(cmd, [sampleLine(cmd, t.names, '-g rg1 -o json')])
  return apiCommand<Located>(cmd.addOption(groupOption()), async (ctx, names, opts) => {
    const resource = await ctx.client.request<ArmResource>(
      'GET',
      pathOf(ctx, t, opts.resourceGroup, names),
      { apiVersion: t.apiVersion },
    )
    ctx.print(resource, t.columns)
  })
}

/** `list`: of a group or the subscription; of a parent (`slot list <app> -g`) for nested types. */
export function registerList(parent: Command, t: ResourceType): Command {
  const parentNames = t.names.slice(0, -1)
  const list = withNames(parent.command('list'), parentNames)
  if (parentNames.length > 0) {
    list.description(`list the ${t.label}s of a ${parentNames[0]!.arg}`).addOption(groupOption())
  } else {
    list
      .description(`list the ${t.label}s of a resource group, or of the subscription`)
      .option('-g, --resource-group <group>', 'resource group (default: every group)')
  }
  examples(list, [
    parentNames.length > 0
      ? sampleLine(list, parentNames, '-g rg1 -o table')
      : sampleLine(list, [], '-g rg1 --query "[].id" -o tsv'),
  ])
  return apiCommand<Partial<Located>>(list, async (ctx, names, opts) => {
    const items = await ctx.client.list<ArmResource>(
      collectionPath(ctx.subscriptionId, opts.resourceGroup, t.type, names),
      { apiVersion: t.apiVersion },
    )
    ctx.print(items, t.columns)
  })
}

export interface DeleteSpec {
  description: string
  /**
   * Completes "Are you sure you want to …" for a type whose data goes with it; the command then
   * takes `--yes` and asks, as `group delete` does.
   */
  confirmAction?: (names: readonly string[]) => string
}

export function registerDelete(parent: Command, t: ResourceType, spec: DeleteSpec): Command {
  const cmd = withNames(parent.command('delete').description(spec.description), t.names)
  cmd.addOption(groupOption())
  if (spec.confirmAction) cmd.option('-y, --yes', 'do not ask for confirmation')
  examples(cmd, [sampleLine(cmd, t.names, spec.confirmAction ? '-g rg1 --yes' : '-g rg1')])
  return apiCommand<Located & { yes?: boolean }>(cmd, async (ctx, names, opts) => {
    if (spec.confirmAction) await confirm(spec.confirmAction(names), opts.yes)
    await ctx.client.request('DELETE', pathOf(ctx, t, opts.resourceGroup, names), {
      apiVersion: t.apiVersion,
    })
  })
}

/** `create`, `show`, `list` and `delete` of a type that has nothing more. */
export function registerResourceCommands(
  parent: Command,
  t: ResourceType,
  spec: { create: CreateSpec; delete: DeleteSpec },
): void {
  registerCreate(parent, t, spec.create)
  registerShow(parent, t)
  registerList(parent, t)
  registerDelete(parent, t, spec.delete)
}
