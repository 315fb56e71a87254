// `keyless identity federation test`: the dry run of a federated token exchange. It sends the
// token file's content to the server's dry run (POST /keyless/v1/federation/test), which
// answers as the token endpoint would and says, per federated credential, whether it matches
// and which claim does not. Exit 0 when the exchange would succeed, 1 when it would be refused.
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { FEDERATION_TEST_PATH } from '../../common/agent-protocol.js'
import { USER_ASSIGNED_IDENTITIES } from '../../domain/resource-types.js'
import { apiCommand, examples } from '../command.js'
import { MANAGED_IDENTITY_API_VERSION, resourcePath } from '../arm-paths.js'
import { CliError, EXIT } from '../errors.js'
import type { Column } from '../output.js'

interface CredentialVerdict {
  name: string
  matches: boolean
  claim?: string | null
  reason?: string
}

interface DryRun {
  wouldIssue: boolean
  refusal: { errorCode: number; message: string } | null
  credentials: CredentialVerdict[]
}

const columns: Column<CredentialVerdict>[] = [
  { header: 'Credential', value: (c) => c.name },
  { header: 'Matches', value: (c) => (c.matches ? 'yes' : 'no') },
  { header: 'Claim', value: (c) => c.claim ?? '' },
  { header: 'Why not', value: (c) => c.reason ?? '' },
]

export function registerIdentityFederation(identity: Command): void {
  const federation = identity
    .command('federation')
    .description("federated identity credentials: try a token against an identity's credentials")
  examples(
    apiCommand<{
      identity: string
      resourceGroup?: string
      tokenFile: string
      scope?: string
    }>(
      federation
        .command('test')
        .description(
          'dry run: would this external token be exchanged for the identity, and per credential why not',
        )
        .requiredOption('--identity <name|id>', 'identity name (with -g) or resource id')
        .option('-g, --resource-group <group>', "the identity's resource group")
        .requiredOption('--token-file <file>', 'the external token (e.g. a projected SA token)')
        .option(
          '--scope <scope>',
          'scope asked for (default https://management.azure.com/.default)',
        ),
      async (ctx, _args, opts) => {
        let assertion: string
        try {
          assertion = readFileSync(opts.tokenFile, 'utf8').trim()
        } catch (e) {
          throw new CliError(EXIT.usage, `cannot read ${opts.tokenFile}: ${(e as Error).message}`)
        }
        const id = opts.identity.startsWith('/')
          ? opts.identity
          : opts.resourceGroup
            ? resourcePath(ctx.subscriptionId, opts.resourceGroup, USER_ASSIGNED_IDENTITIES, [
                opts.identity,
              ])
            : undefined
        if (!id) throw new CliError(EXIT.usage, '--identity by name needs -g/--resource-group')
        const found = await ctx.client.request<{ properties: { clientId: string } }>('GET', id, {
          apiVersion: MANAGED_IDENTITY_API_VERSION,
        })
        const report = await ctx.client.request<DryRun>('POST', FEDERATION_TEST_PATH, {
          body: {
            clientId: found.properties.clientId,
            assertion,
            ...(opts.scope && { scope: opts.scope }),
          },
        })
        ctx.print(report, columns, report.credentials)
        if (ctx.format === 'table') {
          process.stdout.write(
            report.wouldIssue
              ? 'The token would be exchanged.\n'
              : `Refused: AADSTS${report.refusal?.errorCode}: ${report.refusal?.message}\n`,
          )
        }
        if (!report.wouldIssue) process.exitCode = EXIT.apiError
      },
    ),
    [
      'keyless identity federation test --identity ci -g rg1 --token-file /var/run/secrets/azure/tokens/azure-identity-token',
    ],
  )
}
