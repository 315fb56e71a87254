// `keyless vault secret set|show|list|delete`, as `az keyvault secret …`: secrets through the
// vault's own REST API (the one the SDKs use), as the operator or `--as` a compute resource.
// The operator is Owner of everything but holds no data actions: it needs a Key Vault role on
// the vault (as an Owner in Azure does), and the refusal says so.
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { apiCommand, examples } from '../command.js'
import {
  asOptionHelp,
  dataClient,
  vaultUrl,
  VAULT_API_VERSION,
  VAULT_RESOURCE,
  type DataFlags,
} from '../data-plane.js'
import type { Column } from '../output.js'
import { usageError } from '../errors.js'

interface SecretBundle {
  id?: string
  value?: string
  contentType?: string
  attributes?: { enabled?: boolean; updated?: number; created?: number }
}

const iso = (s: number | undefined) => (s === undefined ? '' : new Date(s * 1000).toISOString())
const nameOf = (b: SecretBundle) => b.id?.split('/secrets/')[1]?.split('/')[0] ?? ''
const columns = (withValue: boolean): Column<SecretBundle>[] => [
  { header: 'Name', value: nameOf },
  ...(withValue ? [{ header: 'Value', value: (b: SecretBundle) => b.value }] : []),
  { header: 'ContentType', value: (b) => b.contentType },
  { header: 'Enabled', value: (b) => b.attributes?.enabled },
  { header: 'Updated', value: (b) => iso(b.attributes?.updated) },
  { header: 'Id', value: (b) => b.id },
]

type Flags = DataFlags & {
  vaultName: string
  name?: string
  value?: string
  file?: string
  contentType?: string
  version?: string
}

const common = (cmd: Command, named = true) => {
  cmd
    .requiredOption('--vault-name <name>', 'the key vault')
    .option('--as <resource-id>', asOptionHelp.as)
  cmd.option('--client-id <id>', asOptionHelp.clientId)
  if (named) cmd.requiredOption('-n, --name <name>', 'secret name')
  return cmd
}

const secretUrl = (vault: string, name: string, version?: string) =>
  `${vault}secrets/${encodeURIComponent(name)}${version ? `/${encodeURIComponent(version)}` : ''}?api-version=${VAULT_API_VERSION}`

export function registerVaultSecret(vault: Command): void {
  const secret = vault.command('secret').description('manage the secrets of a key vault')
  examples(secret, [
    'keyless vault secret set --vault-name kv1 -n db-password --value s3cret',
    'keyless vault secret show --vault-name kv1 -n db-password --as <web app id> --query value -o tsv',
  ])

  examples(
    apiCommand<Flags>(
      common(secret.command('set').description('set a secret (a new version)'))
        .option('--value <value>', 'the secret value')
        .option('-f, --file <path>', 'read the value from a file (UTF-8)')
        .option('--content-type <type>', 'content type to store with it'),
      async (ctx, _args, flags) => {
        if ((flags.value === undefined) === (flags.file === undefined))
          throw usageError('give the value with exactly one of --value or --file')
        const value = flags.value ?? readFileSync(flags.file!, 'utf8')
        const send = dataClient(ctx, flags, VAULT_RESOURCE)
        const res = await send({
          method: 'PUT',
          url: secretUrl(await vaultUrl(ctx, flags.vaultName), flags.name!),
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            value,
            ...(flags.contentType ? { contentType: flags.contentType } : {}),
          }),
        })
        ctx.print(JSON.parse(res.text), columns(false))
      },
    ),
    ['keyless vault secret set --vault-name kv1 -n api-key -f ./key.txt'],
  )

  examples(
    apiCommand<Flags>(
      common(secret.command('show').description('show a secret with its value')).option(
        '--version <version>',
        'a version (default: the current one)',
      ),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, VAULT_RESOURCE)
        const url = secretUrl(await vaultUrl(ctx, flags.vaultName), flags.name!, flags.version)
        ctx.print(JSON.parse((await send({ method: 'GET', url })).text), columns(true))
      },
    ),
    ['keyless vault secret show --vault-name kv1 -n db-password --query value -o tsv'],
  )

  examples(
    apiCommand<Flags>(
      common(secret.command('list').description('list the secrets (no values)'), false),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, VAULT_RESOURCE)
        const items: SecretBundle[] = []
        let next: string | undefined =
          `${await vaultUrl(ctx, flags.vaultName)}secrets?api-version=${VAULT_API_VERSION}`
        while (next) {
          const page = JSON.parse((await send({ method: 'GET', url: next })).text) as {
            value?: SecretBundle[]
            nextLink?: string | null
          }
          items.push(...(page.value ?? []))
          next = page.nextLink ?? undefined
        }
        ctx.print(items, columns(false))
      },
    ),
    ['keyless vault secret list --vault-name kv1 -o table'],
  )

  examples(
    apiCommand<Flags>(
      common(
        secret
          .command('delete')
          .description('delete a secret (soft delete: recoverable for the retention period)'),
      ),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, VAULT_RESOURCE)
        const url = secretUrl(await vaultUrl(ctx, flags.vaultName), flags.name!)
        ctx.print(JSON.parse((await send({ method: 'DELETE', url })).text), columns(false))
      },
    ),
    ['keyless vault secret delete --vault-name kv1 -n old-key'],
  )
}
