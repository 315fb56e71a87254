// Azure's built-in roles that Keyless serves, with their Azure GUIDs and permissions as published
// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles, reference §6). They
// are read-only, assignable everywhere (`/`) and never stored: the store holds custom roles only.
import type { BuiltInRole, Permission } from './types.js'

// Shared action sets, written out in full where used (reference §6: B5, KV5, SB, MI).
const B5 = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
]
const KV5 = [
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
]
const SB = 'Microsoft.Storage/storageAccounts/blobServices'
const SQ = 'Microsoft.Storage/storageAccounts/queueServices'
const MI = 'Microsoft.ManagedIdentity/userAssignedIdentities'
const KV_RBAC_ONLY =
  "Only works for key vaults that use the 'Azure role-based access control' permission model."
const STORAGE_ACTIONS_DOC =
  'To learn which actions are required for a given data operation, see Permissions for calling blob and queue data operations.'

const VM_CONTRIBUTOR_ACTIONS = [
  ...B5,
  'Microsoft.Compute/availabilitySets/*',
  'Microsoft.Compute/locations/*',
  'Microsoft.Compute/virtualMachines/*',
  'Microsoft.Compute/virtualMachineScaleSets/*',
  'Microsoft.Compute/cloudServices/*',
  'Microsoft.Compute/disks/write',
  'Microsoft.Compute/disks/read',
  'Microsoft.Compute/disks/delete',
  'Microsoft.Compute/hostgroups/write',
  'Microsoft.Compute/hostgroups/hosts/write',
  'Microsoft.Network/applicationGateways/backendAddressPools/join/action',
  'Microsoft.Network/loadBalancers/backendAddressPools/join/action',
  'Microsoft.Network/loadBalancers/inboundNatPools/join/action',
  'Microsoft.Network/loadBalancers/inboundNatRules/join/action',
  'Microsoft.Network/loadBalancers/probes/join/action',
  'Microsoft.Network/loadBalancers/read',
  'Microsoft.Network/locations/*',
  'Microsoft.Network/networkInterfaces/*',
  'Microsoft.Network/networkSecurityGroups/join/action',
  'Microsoft.Network/networkSecurityGroups/read',
  'Microsoft.Network/publicIPAddresses/join/action',
  'Microsoft.Network/publicIPAddresses/read',
  'Microsoft.Network/virtualNetworks/read',
  'Microsoft.Network/virtualNetworks/subnets/join/action',
  'Microsoft.RecoveryServices/locations/*',
  'Microsoft.RecoveryServices/Vaults/backupFabrics/backupProtectionIntent/write',
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/*/read',
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/read',
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/write',
  'Microsoft.RecoveryServices/Vaults/backupPolicies/read',
  'Microsoft.RecoveryServices/Vaults/backupPolicies/write',
  'Microsoft.RecoveryServices/Vaults/read',
  'Microsoft.RecoveryServices/Vaults/usages/read',
  'Microsoft.RecoveryServices/Vaults/write',
  'Microsoft.ResourceHealth/availabilityStatuses/read',
  'Microsoft.DevTestLab/schedules/*',
  'Microsoft.SerialConsole/serialPorts/connect/action',
  'Microsoft.SqlVirtualMachine/*',
  'Microsoft.Storage/storageAccounts/listKeys/action',
  'Microsoft.Storage/storageAccounts/read',
]

function block(p: Partial<Permission>): Permission {
  return { actions: [], notActions: [], dataActions: [], notDataActions: [], ...p }
}

function role(id: string, roleName: string, description: string, p: Partial<Permission>) {
  const r: BuiltInRole = {
    id,
    roleName,
    type: 'BuiltInRole',
    description,
    permissions: [block(p)],
    assignableScopes: ['/'],
  }
  return r
}

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  role(
    '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    'Owner',
    'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    { actions: ['*'] },
  ),
  role(
    'b24988ac-6180-42a0-ab88-20f7382dd24c',
    'Contributor',
    'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    {
      actions: ['*'],
      notActions: [
        'Microsoft.Authorization/*/Delete',
        'Microsoft.Authorization/*/Write',
        'Microsoft.Authorization/elevateAccess/Action',
        'Microsoft.Blueprint/blueprintAssignments/write',
        'Microsoft.Blueprint/blueprintAssignments/delete',
        'Microsoft.Compute/galleries/share/action',
        'Microsoft.Purview/consents/write',
        'Microsoft.Purview/consents/delete',
        'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
        'Microsoft.Subscription/cancel/action',
        'Microsoft.Subscription/enable/action',
      ],
    },
  ),
  role(
    'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    'Reader',
    'View all resources, but does not allow you to make any changes.',
    { actions: ['*/read'] },
  ),
  role(
    '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
    'User Access Administrator',
    'Lets you manage user access to Azure resources.',
    { actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'] },
  ),
  role(
    'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
    'Role Based Access Control Administrator',
    'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.',
    {
      actions: [
        'Microsoft.Authorization/roleAssignments/write',
        'Microsoft.Authorization/roleAssignments/delete',
        '*/read',
        'Microsoft.Support/*',
      ],
    },
  ),
  role(
    'f1a07417-d97a-45cb-824c-7a7467783830',
    'Managed Identity Operator',
    'Read and Assign User Assigned Identity',
    { actions: [`${MI}/*/read`, `${MI}/*/assign/action`, ...B5] },
  ),
  role(
    'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59',
    'Managed Identity Contributor',
    'Create, Read, Update, and Delete User Assigned Identity',
    {
      actions: [
        `${MI}/read`,
        `${MI}/write`,
        `${MI}/delete`,
        `${MI}/federatedIdentityCredentials/read`,
        `${MI}/federatedIdentityCredentials/write`,
        `${MI}/federatedIdentityCredentials/delete`,
        `${MI}/revokeTokens/action`,
        ...B5,
      ],
    },
  ),
  role(
    '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    'Key Vault Administrator',
    `Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. ${KV_RBAC_ONLY}`,
    { actions: [...B5, ...KV5], dataActions: ['Microsoft.KeyVault/vaults/*'] },
  ),
  role(
    'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    'Key Vault Secrets Officer',
    `Perform any action on the secrets of a key vault, except manage permissions. ${KV_RBAC_ONLY}`,
    { actions: [...B5, ...KV5], dataActions: ['Microsoft.KeyVault/vaults/secrets/*'] },
  ),
  role(
    '4633458b-17de-408a-b874-0445c86b69e6',
    'Key Vault Secrets User',
    `Read secret contents. ${KV_RBAC_ONLY}`,
    {
      dataActions: [
        'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      ],
    },
  ),
  role(
    '21090545-7ca7-4776-b22c-e363652d74d2',
    'Key Vault Reader',
    `Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. ${KV_RBAC_ONLY}`,
    {
      actions: [...B5, ...KV5],
      dataActions: [
        'Microsoft.KeyVault/vaults/*/read',
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      ],
    },
  ),
  role(
    '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
    'Key Vault Crypto Officer',
    `Perform any action on the keys of a key vault, except manage permissions. ${KV_RBAC_ONLY}`,
    {
      actions: [...B5, ...KV5],
      dataActions: [
        'Microsoft.KeyVault/vaults/keys/*',
        'Microsoft.KeyVault/vaults/keyrotationpolicies/*',
      ],
    },
  ),
  role(
    '12338af0-0e69-4776-bea7-57ae8d297424',
    'Key Vault Crypto User',
    `Perform cryptographic operations using keys. ${KV_RBAC_ONLY}`,
    {
      dataActions: [
        'Microsoft.KeyVault/vaults/keys/read',
        'Microsoft.KeyVault/vaults/keys/update/action',
        'Microsoft.KeyVault/vaults/keys/backup/action',
        'Microsoft.KeyVault/vaults/keys/encrypt/action',
        'Microsoft.KeyVault/vaults/keys/decrypt/action',
        'Microsoft.KeyVault/vaults/keys/wrap/action',
        'Microsoft.KeyVault/vaults/keys/unwrap/action',
        'Microsoft.KeyVault/vaults/keys/sign/action',
        'Microsoft.KeyVault/vaults/keys/verify/action',
      ],
    },
  ),
  role(
    'e147488a-f6f5-4113-8e2d-b22465e65bf6',
    'Key Vault Crypto Service Encryption User',
    `Read metadata of keys and perform wrap/unwrap operations. ${KV_RBAC_ONLY}`,
    {
      actions: [
        'Microsoft.EventGrid/eventSubscriptions/write',
        'Microsoft.EventGrid/eventSubscriptions/read',
        'Microsoft.EventGrid/eventSubscriptions/delete',
      ],
      dataActions: [
        'Microsoft.KeyVault/vaults/keys/read',
        'Microsoft.KeyVault/vaults/keys/wrap/action',
        'Microsoft.KeyVault/vaults/keys/unwrap/action',
      ],
    },
  ),
  role(
    'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    'Storage Blob Data Owner',
    `Provides full access to Azure Storage blob containers and data, including assigning POSIX access control. ${STORAGE_ACTIONS_DOC}`,
    {
      actions: [`${SB}/containers/*`, `${SB}/generateUserDelegationKey/action`],
      dataActions: [`${SB}/containers/blobs/*`],
    },
  ),
  role(
    'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    'Storage Blob Data Contributor',
    `Read, write, and delete Azure Storage containers and blobs. ${STORAGE_ACTIONS_DOC}`,
    {
      actions: [
        `${SB}/containers/delete`,
        `${SB}/containers/read`,
        `${SB}/containers/write`,
        `${SB}/generateUserDelegationKey/action`,
      ],
      dataActions: [
        `${SB}/containers/blobs/delete`,
        `${SB}/containers/blobs/read`,
        `${SB}/containers/blobs/write`,
        `${SB}/containers/blobs/move/action`,
        `${SB}/containers/blobs/add/action`,
      ],
    },
  ),
  role(
    '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    'Storage Blob Data Reader',
    `Read and list Azure Storage containers and blobs. ${STORAGE_ACTIONS_DOC}`,
    {
      actions: [`${SB}/containers/read`, `${SB}/generateUserDelegationKey/action`],
      dataActions: [`${SB}/containers/blobs/read`],
    },
  ),
  role(
    '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    'Storage Queue Data Contributor',
    `Read, write, and delete Azure Storage queues and queue messages. ${STORAGE_ACTIONS_DOC}`,
    {
      actions: [`${SQ}/queues/delete`, `${SQ}/queues/read`, `${SQ}/queues/write`],
      dataActions: [
        `${SQ}/queues/messages/delete`,
        `${SQ}/queues/messages/read`,
        `${SQ}/queues/messages/write`,
        `${SQ}/queues/messages/process/action`,
      ],
    },
  ),
  role(
    '8a0f0c08-91a1-4084-bc3d-661d67233fed',
    'Storage Queue Data Message Processor',
    `Peek, retrieve, and delete a message from an Azure Storage queue. ${STORAGE_ACTIONS_DOC}`,
    {
      dataActions: [`${SQ}/queues/messages/read`, `${SQ}/queues/messages/process/action`],
    },
  ),
  role(
    'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
    'Storage Queue Data Message Sender',
    `Add messages to an Azure Storage queue. ${STORAGE_ACTIONS_DOC}`,
    { dataActions: [`${SQ}/queues/messages/add/action`] },
  ),
  role(
    '19e7f393-937e-4f77-808e-94535e297925',
    'Storage Queue Data Reader',
    `Read and list Azure Storage queues and queue messages. ${STORAGE_ACTIONS_DOC}`,
    {
      actions: [`${SQ}/queues/read`],
      dataActions: [`${SQ}/queues/messages/read`],
    },
  ),
  role(
    'de139f84-1756-47ae-9be6-808fbbe84772',
    'Website Contributor',
    'Lets you manage websites (not web plans), but not access to them.',
    {
      actions: [
        ...B5,
        'Microsoft.Insights/components/*',
        'Microsoft.ResourceHealth/availabilityStatuses/read',
        'Microsoft.Web/certificates/*',
        'Microsoft.Web/listSitesAssignedToHostName/read',
        'Microsoft.Web/serverFarms/join/action',
        'Microsoft.Web/serverFarms/read',
        'Microsoft.Web/sites/*',
      ],
    },
  ),
  role(
    '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
    'Virtual Machine Contributor',
    'Create and manage virtual machines, manage disks, install and run software, reset password of the root user of the virtual machine using VM extensions, and connect to the root user of the virtual machine using VM extensions. This role does not grant you management access to the virtual network or storage account the virtual machines are connected to. This role does not allow you to assign roles in Azure RBAC.',
    { actions: VM_CONTRIBUTOR_ACTIONS },
  ),
]

const byId = new Map(BUILT_IN_ROLES.map((r) => [r.id, r]))
const byName = new Map(BUILT_IN_ROLES.map((r) => [r.roleName.toLowerCase(), r]))

/** A built-in role by its GUID (any casing). */
export function findBuiltInRole(guid: string): BuiltInRole | undefined {
  return byId.get(guid.toLowerCase())
}

/** A built-in role by its name (any casing), e.g. `Reader`. */
export function findBuiltInRoleByName(roleName: string): BuiltInRole | undefined {
  return byName.get(roleName.toLowerCase())
}

/** Well-known GUIDs, for code that assigns built-ins (the operator is Owner at `/`). */
export const BUILT_IN_ROLE_IDS = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830',
} as const
