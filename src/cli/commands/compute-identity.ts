// `<kind> identity assign|remove|show`, the same for every compute type: read the resource,
// compute the `identity` PATCH as the Azure CLI does, send it, print the identities.
import { Option, type Command } from 'commander'
import { apiCommand, examples, groupOption, type Context } from '../command.js'
import { MANAGED_IDENTITY_API_VERSION, systemIdentityPath } from '../arm-paths.js'
import { identityRowColumns, identityRows, type ArmResource } from '../columns.js'
import { identityToAssign, identityToRemove, type ArmIdentity } from '../identity-args.js'
import { CliError, EXIT } from '../errors.js'
import {
  addSelectorOptions,
  selectorsOf,
  withSelectors,
  type SelectorOptions,
} from '../selector-options.js'
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

/** JSON: the `identity` as the API returns it; table: one row per identity. */
async function printIdentity(ctx: Context, resource: ArmResource): Promise<void> {
  let systemClientId: string | undefined
  if (ctx.format === 'table' && resource.identity?.principalId) {
    // The resource's `identity` carries no clientId for the system identity; this does.
    const system = await ctx.client
      .request<ArmResource>('GET', systemIdentityPath(resource.id), {
        apiVersion: MANAGED_IDENTITY_API_VERSION,
      })
      .catch((err: unknown) => {
        if (err instanceof CliError && err.exitCode === EXIT.notFound) return undefined
        throw err
      })
    systemClientId = system?.properties?.clientId as string | undefined
  }
  ctx.print(resource.identity ?? null, identityRowColumns, identityRows(resource, systemClientId))
}

export function registerComputeIdentity(parent: Command, kind: ComputeKind): void {
  const identity = parent
    .command('identity')
    .description(`manage the managed identities of a ${kind.label}`)
  const sample = samples(kind.names)
  const identitiesOption = () =>
    new Option(
      '--identities <identity...>',
      "'system' and/or user-assigned identity names (same group) or resource ids",
    ).default(['system'], 'system')

  const change = (verb: 'assign' | 'remove') => {
    const cmd = withNames(identity.command(verb), kind.names)
      .description(
        verb === 'assign'
          ? `enable identities on a ${kind.label}; those already assigned stay`
          : `remove identities from a ${kind.label}`,
      )
      .addOption(groupOption())
      .addOption(identitiesOption())
    if (verb === 'assign') addSelectorOptions(cmd)
    examples(cmd, [
      `${words(kind)} identity ${verb} ${sample} -g rg1`,
      `${words(kind)} identity ${verb} ${sample} -g rg1 --identities system id1`,
      ...(verb === 'assign'
        ? [`${words(kind)} identity assign ${sample} -g rg1 --identities id1 --allow-uid 1000`]
        : []),
    ])
    apiCommand<Located & SelectorOptions & { identities: string[] }>(
      cmd,
      async (ctx, names, opts) => {
        const target = path(ctx, kind, opts.resourceGroup, names)
        const request = identityRequest(ctx, opts.resourceGroup, opts.identities)
        const current = await ctx.client.request<ArmResource>('GET', target, {
          apiVersion: apiVersion(kind),
        })
        const body: ArmIdentity =
          verb === 'assign'
            ? withSelectors(
                identityToAssign(current.identity, request),
                request.system,
                selectorsOf(opts),
              )
            : identityToRemove(current.identity, request, current.name)
        const updated = await ctx.client.request<ArmResource>('PATCH', target, {
          apiVersion: apiVersion(kind),
          body: { identity: body },
        })
        await printIdentity(ctx, updated)
      },
    )
  }
  change('assign')
  change('remove')

  apiCommand<Located>(
    withNames(
      identity.command('show').description(`show the identities of a ${kind.label}`),
      kind.names,
    ).addOption(groupOption()),
    async (ctx, names, opts) => {
      const resource = await ctx.client.request<ArmResource>(
        'GET',
        path(ctx, kind, opts.resourceGroup, names),
        { apiVersion: apiVersion(kind) },
      )
      await printIdentity(ctx, resource)
    },
  )
}
