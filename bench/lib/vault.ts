// A Key Vault the operator may read and write, as the benchmarks that need one set it up
// through ARM: a resource group, a vault with RBAC authorization, a role assignment on it.
import { randomUUID } from 'node:crypto'
import type { armClient, Keyless } from './keyless.js'

export const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6'
export const SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
export const RA_API = 'api-version=2022-04-01'
export const KV_API = 'api-version=7.4'
export const VAULT_SCOPE = 'https://vault.azure.net/.default'

type Arm = ReturnType<typeof armClient>

/** Assigns `role` (a built-in role GUID) to a service principal at `scope`; returns its id. */
export async function assignRole(
  arm: Arm,
  k: Keyless,
  scope: string,
  role: string,
  principalId: string,
): Promise<string> {
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
  await arm('PUT', `${id}?${RA_API}`, {
    properties: {
      roleDefinitionId: `/subscriptions/${k.endpoints.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
      principalId,
      principalType: 'ServicePrincipal',
    },
  })
  return id
}

/** Whether the RBAC API answers (role assignments can be listed at `scope`). */
export async function rbacAnswers(k: Keyless, arm: Arm, scope: string): Promise<boolean> {
  try {
    await arm('GET', `${scope}/providers/Microsoft.Authorization/roleAssignments?${RA_API}`)
    return true
  } catch {
    return false
  }
}

/** Creates a vault with RBAC authorization; its id and data-plane URI (undefined if none). */
export async function createVault(arm: Arm, k: Keyless, rg: string, prefix: string) {
  const name = `${prefix}${Date.now() % 100_000}`
  const vault = await arm(
    'PUT',
    `${rg}/providers/Microsoft.KeyVault/vaults/${name}?api-version=2023-07-01`,
    {
      location: 'eastus',
      properties: {
        tenantId: k.endpoints.tenantId,
        sku: { family: 'A', name: 'standard' },
        enableRbacAuthorization: true,
      },
    },
  )
  const body = vault.json()
  // By address: the bench is not under `keyless run`, where `<vault>.<suffix>` names resolve.
  const uri = body.properties?.vaultUriByAddress ?? body.properties?.vaultUri
  return { id: body.id as string, vaultUri: uri as string | undefined }
}

/** The object id (`oid`) a token was issued to (read unverified: the benchmark minted it). */
export function oidOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid
}
