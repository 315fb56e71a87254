// `keyless identity`: user-assigned managed identities
// (Microsoft.ManagedIdentity/userAssignedIdentities).
import type { Command } from 'commander'
import { USER_ASSIGNED_IDENTITIES } from '../../domain/resource-types.js'
import { apiCommand, examples, groupOption, tagsOption } from '../command.js'
import { confirm } from '../confirm.js'
import {
  collectionPath,
  groupPath,
  MANAGED_IDENTITY_API_VERSION,
  RESOURCE_GROUPS_API_VERSION,
  resourcePath,
} from '../arm-paths.js'
import { userAssignedIdentityColumns, type ArmResource } from '../columns.js'
import { registerIdentityFederation } from './identity-federation.js'

const apiVersion = MANAGED_IDENTITY_API_VERSION
const columns = userAssignedIdentityColumns

export function registerIdentity(program: Command): void {
  const identity = program
    .command('identity')
    .description('manage user-assigned managed identities')
  examples(identity, [
    'keyless identity create id1 -g rg1',
    'keyless vm identity assign vm1 -g rg1 --identities id1',
  ])

  apiCommand<{ resourceGroup: string; location?: string; tags?: Record<string, string> }>(
    identity
      .command('create')
      .description('create a user-assigned identity, or update its tags')
      .argument('<name>', 'identity name')
      .addOption(groupOption())
      .option('-l, --location <location>', "location (default: the resource group's)")
      .addOption(tagsOption()),
    async (ctx, [name], opts) => {
      const group = opts.resourceGroup
      const location =
        opts.location ??
        (
          await ctx.client.request<ArmResource>('GET', groupPath(ctx.subscriptionId, group), {
            apiVersion: RESOURCE_GROUPS_API_VERSION,
          })
        ).location
      const created = await ctx.client.request<ArmResource>(
        'PUT',
        resourcePath(ctx.subscriptionId, group, USER_ASSIGNED_IDENTITIES, [name!]),
        { apiVersion, body: { location, tags: opts.tags ?? {} } },
      )
      ctx.print(created, columns)
    },
  )

  apiCommand<{ resourceGroup: string }>(
    identity
      .command('show')
      .description('show a user-assigned identity, with its principalId and clientId')
      .argument('<name>', 'identity name')
      .addOption(groupOption()),
    async (ctx, [name], opts) => {
      const found = await ctx.client.request<ArmResource>(
        'GET',
        resourcePath(ctx.subscriptionId, opts.resourceGroup, USER_ASSIGNED_IDENTITIES, [name!]),
        { apiVersion },
      )
      ctx.print(found, columns)
    },
  )

  apiCommand<{ resourceGroup?: string }>(
    identity
      .command('list')
      .description('list the user-assigned identities of a resource group, or of the subscription')
      .option('-g, --resource-group <group>', 'resource group (default: every group)'),
    async (ctx, _args, opts) => {
      const items = await ctx.client.list<ArmResource>(
        collectionPath(ctx.subscriptionId, opts.resourceGroup, USER_ASSIGNED_IDENTITIES),
        { apiVersion },
      )
      ctx.print(items, columns)
    },
  )

  // Its principal, role assignments and federated credentials go with it: ask first.
  apiCommand<{ resourceGroup: string; yes?: boolean }>(
    identity
      .command('delete')
      .description('delete a user-assigned identity; it is detached from every resource')
      .argument('<name>', 'identity name')
      .addOption(groupOption())
      .option('-y, --yes', 'do not ask for confirmation'),
    async (ctx, [name], opts) => {
      await confirm(
        `delete identity '${name}' with its role assignments and federated credentials`,
        opts.yes,
      )
      await ctx.client.request(
        'DELETE',
        resourcePath(ctx.subscriptionId, opts.resourceGroup, USER_ASSIGNED_IDENTITIES, [name!]),
        { apiVersion },
      )
    },
  )
  registerIdentityFederation(identity)
}
