// `keyless vault` (alias `keyvault`, as in `az keyvault`): key vaults (Microsoft.KeyVault/vaults),
// each served by Keyless's Key Vault data plane at its `properties.vaultUri`. Vault names are
// unique across the installation (409 VaultAlreadyExists), as they are across Azure.
import type { Command } from 'commander'
import { KEY_VAULTS } from '../../domain/resource-types.js'
import { examples } from '../command.js'
import { registerVaultSecret } from './vault-secret.js'
import {
  registerResourceCommands,
  resourceColumns,
  type ResourceType,
} from './resource-commands.js'

const VAULT: ResourceType = {
  label: 'key vault',
  type: KEY_VAULTS,
  apiVersion: '2023-07-01',
  names: [{ arg: 'name', description: 'vault name, unique in the installation', sample: 'kv1' }],
  columns: resourceColumns({ header: 'VaultUri', value: (r) => r.properties?.vaultUri }),
}

export function registerVault(program: Command): void {
  const vault = program
    .command('vault')
    .alias('keyvault')
    .description('manage key vaults (secrets), served at their vaultUri')
  examples(vault, [
    'keyless vault create kv1 -g rg1',
    'keyless role assignment create --assignee <principalId> --role "Key Vault Secrets User" --scope <vault id>',
  ])

  registerResourceCommands(vault, VAULT, {
    create: {
      description: 'create a key vault (RBAC authorization, standard sku), or update its tags',
      // Access is Azure RBAC only: Keyless has no access policies.
      body: (ctx) => ({
        properties: {
          tenantId: ctx.client.tenantId,
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: true,
        },
      }),
      examples: [
        'keyless vault create kv1 -g rg1 --tags env=dev',
        'keyless vault create kv1 -g rg1 -o json',
      ],
    },
    delete: {
      description: 'delete a key vault and its secrets',
      confirmAction: ([name]) => `delete key vault '${name}' and its secrets`,
    },
  })
  registerVaultSecret(vault)
}
