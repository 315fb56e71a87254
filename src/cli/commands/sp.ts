// `keyless sp show`: the service principal behind an identity, through the Graph-shaped read
// API (`/v1.0/servicePrincipals`), found by object id (= principalId) or by app id (= clientId).
import type { Command } from 'commander'
import { apiCommand, examples } from '../command.js'
import { servicePrincipalColumns, type GraphServicePrincipal } from '../columns.js'
import { CliError, EXIT } from '../errors.js'

export function registerSp(program: Command): void {
  const sp = program.command('sp').description('inspect service principals')
  examples(
    apiCommand(
      sp
        .command('show')
        .description('show a service principal by object id (principalId) or app id (clientId)')
        .argument('<id>', 'object id or app id'),
      async (ctx, [id]) => {
        const byObjectId = await ctx.client
          .request<GraphServicePrincipal>(
            'GET',
            `/v1.0/servicePrincipals/${encodeURIComponent(id!)}`,
          )
          .catch((err: unknown) => {
            if (err instanceof CliError && err.exitCode === EXIT.notFound) return err
            throw err
          })
        if (!(byObjectId instanceof CliError)) return ctx.print(byObjectId, servicePrincipalColumns)
        const byAppId = await ctx.client.list<GraphServicePrincipal>('/v1.0/servicePrincipals', {
          query: { $filter: `appId eq '${id!.replace(/'/g, "''")}'` },
        })
        if (byAppId[0] === undefined) throw byObjectId
        ctx.print(byAppId[0], servicePrincipalColumns)
      },
    ),
    ['keyless sp show "$(keyless vm show vm1 -g rg1 -o json | jq -r .identity.principalId)"'],
  )
}
