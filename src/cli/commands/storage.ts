// `keyless storage account`, as in `az storage account`: storage accounts
// (Microsoft.Storage/storageAccounts), each served by Keyless's Blob data plane at its
// `properties.primaryEndpoints.blob` and its Queue data plane at `…queue`. Account names are
// unique across the installation (409 StorageAccountAlreadyTaken), as they are across Azure.
import type { Command } from 'commander'
import { STORAGE_ACCOUNTS } from '../../domain/resource-types.js'
import type { ArmResource } from '../columns.js'
import { examples } from '../command.js'
import { registerStorageData } from './storage-blob.js'
import { registerStorageQueues } from './storage-queue.js'
import {
  registerResourceCommands,
  resourceColumns,
  type ResourceType,
} from './resource-commands.js'

const endpoints = (r: ArmResource) =>
  r.properties?.primaryEndpoints as { blob?: string; queue?: string } | undefined

const ACCOUNT: ResourceType = {
  label: 'storage account',
  type: STORAGE_ACCOUNTS,
  apiVersion: '2023-05-01',
  names: [
    {
      arg: 'name',
      description:
        'account name: 3 to 24 lower-case letters and digits, unique in the installation',
      sample: 'data1',
    },
  ],
  columns: resourceColumns(
    { header: 'BlobEndpoint', value: (r) => endpoints(r)?.blob },
    { header: 'QueueEndpoint', value: (r) => endpoints(r)?.queue },
  ),
}

export function registerStorage(program: Command): void {
  const storage = program.command('storage').description('manage storage (Blob, Queue)')
  const account = storage
    .command('account')
    .description('manage storage accounts, their blobs served at their blob endpoint')
  examples(account, [
    'keyless storage account create data1 -g rg1',
    'keyless role assignment create --assignee <principalId> --role "Storage Blob Data Reader" --scope <account id>',
  ])

  registerResourceCommands(account, ACCOUNT, {
    create: {
      description: 'create a storage account (StorageV2, Standard_LRS), or update its tags',
      body: () => ({ kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: {} }),
      examples: [
        'keyless storage account create data1 -g rg1 -l westeurope',
        'keyless storage account create data1 -g rg1 -o json',
      ],
    },
    delete: {
      description: 'delete a storage account and its containers and blobs',
      confirmAction: ([name]) => `delete storage account '${name}' and its blobs`,
    },
  })
  registerStorageData(storage)
  registerStorageQueues(storage)
}
