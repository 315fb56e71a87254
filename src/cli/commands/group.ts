// `keyless group`: resource groups (arm-resources' `/subscriptions/{s}/resourcegroups/{rg}`).
import type { Command } from 'commander'
import { apiCommand, examples, tagsOption } from '../command.js'
import { groupColumns, type ArmResource } from '../columns.js'
import { confirm } from '../confirm.js'
import { groupPath, RESOURCE_GROUPS_API_VERSION, subscriptionPath } from '../arm-paths.js'

const apiVersion = RESOURCE_GROUPS_API_VERSION
export const DEFAULT_LOCATION = 'eastus'

export function registerGroup(program: Command): void {
  const group = program.command('group').description('manage resource groups')
  examples(group, ['keyless group create rg1 -l westeurope --tags env=dev', 'keyless group list'])

  apiCommand<{ location: string; tags?: Record<string, string> }>(
    group
      .command('create')
      .description('create a resource group, or update its location and tags')
      .argument('<name>', 'resource group name')
      .option('-l, --location <location>', 'location', DEFAULT_LOCATION)
      .addOption(tagsOption()),
    async (ctx, [name], opts) => {
      const body = { location: opts.location, tags: opts.tags ?? {} }
      const rg = await ctx.client.request<ArmResource>(
        'PUT',
        groupPath(ctx.subscriptionId, name!),
        {
          apiVersion,
          body,
        },
      )
      ctx.print(rg, groupColumns)
    },
  )

  apiCommand(
    group
      .command('show')
      .description('show a resource group')
      .argument('<name>', 'resource group name'),
    async (ctx, [name]) => {
      const rg = await ctx.client.request<ArmResource>(
        'GET',
        groupPath(ctx.subscriptionId, name!),
        {
          apiVersion,
        },
      )
      ctx.print(rg, groupColumns)
    },
  )

  apiCommand(group.command('list').description('list the resource groups'), async (ctx) => {
    const groups = await ctx.client.list<ArmResource>(
      `${subscriptionPath(ctx.subscriptionId)}/resourcegroups`,
      { apiVersion },
    )
    ctx.print(groups, groupColumns)
  })

  examples(
    apiCommand<{ yes?: boolean }>(
      group
        .command('delete')
        .description('delete a resource group and everything in it, identities included')
        .argument('<name>', 'resource group name')
        .option('-y, --yes', 'do not ask for confirmation'),
      async (ctx, [name], opts) => {
        await confirm(`delete resource group '${name}' and everything in it`, opts.yes)
        await ctx.client.request('DELETE', groupPath(ctx.subscriptionId, name!), { apiVersion })
      },
    ),
    ['keyless group delete rg1 --yes'],
  )
}
