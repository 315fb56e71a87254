// Every operation's RBAC check: the operation's data action (reference §7) at the object's scope
// (`<vault>/secrets/<name>`, `<vault>/keys/<name>`), or at the vault's for lists, decided live by the RBAC engine, so a removed assignment is
// refused at the next request. A refusal is 403 `Forbidden` / `ForbiddenByRbac` with Azure's
// multi-line message ([ISS] piyushsachdeva/Terraform_AKS#2).
import type { VerifiedClaims } from '../../common/access-token.js'
import type { DataDecision, DataPlaneOptions } from '../options.js'
import { VaultErrors } from './errors.js'
import type { VaultTarget } from './vaults.js'

const SECRETS = 'Microsoft.KeyVault/vaults/secrets'

/** Data actions of the secret operations [D-KVOPS]. */
export const SecretActions = {
  setSecret: `${SECRETS}/setSecret/action`,
  getSecret: `${SECRETS}/getSecret/action`,
  update: `${SECRETS}/update/action`,
  readMetadata: `${SECRETS}/readMetadata/action`,
  delete: `${SECRETS}/delete`,
  recover: `${SECRETS}/recover/action`,
  purge: `${SECRETS}/purge/action`,
  backup: `${SECRETS}/backup/action`,
  restore: `${SECRETS}/restore/action`,
} as const

export type SecretAction = (typeof SecretActions)[keyof typeof SecretActions]

const KEYS = 'Microsoft.KeyVault/vaults/keys'
const POLICIES = 'Microsoft.KeyVault/vaults/keyrotationpolicies'

/** Data actions of the key operations, as Azure's Microsoft.KeyVault provider lists them.
 * Deleted keys are read with `keys/read`, recovered and purged with their own actions. */
export const KeyActions = {
  read: `${KEYS}/read`,
  create: `${KEYS}/create/action`,
  import: `${KEYS}/import/action`,
  update: `${KEYS}/update/action`,
  delete: `${KEYS}/delete`,
  recover: `${KEYS}/recover/action`,
  purge: `${KEYS}/purge/action`,
  backup: `${KEYS}/backup/action`,
  restore: `${KEYS}/restore/action`,
  rotate: `${KEYS}/rotate/action`,
  sign: `${KEYS}/sign/action`,
  verify: `${KEYS}/verify/action`,
  encrypt: `${KEYS}/encrypt/action`,
  decrypt: `${KEYS}/decrypt/action`,
  wrap: `${KEYS}/wrap/action`,
  unwrap: `${KEYS}/unwrap/action`,
  readPolicy: `${POLICIES}/read`,
  writePolicy: `${POLICIES}/write`,
} as const

export type KeyAction = (typeof KeyActions)[keyof typeof KeyActions]
export type VaultDataAction = SecretAction | KeyAction

export function forbiddenMessage(
  caller: Pick<VerifiedClaims, 'appid' | 'oid' | 'iss'>,
  action: string,
  scope: string,
  vault: Pick<VaultTarget, 'name' | 'location'>,
  decision: DataDecision,
): string {
  return [
    'Caller is not authorized to perform action on resource.',
    'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
    `Caller: appid=${caller.appid};oid=${caller.oid};iss=${caller.iss}`,
    `Action: '${action}'`,
    `Resource: '${scope.toLowerCase()}'`,
    `Assignment: ${decision.assignmentId ?? '(not found)'}`,
    `DenyAssignmentId: ${decision.denyAssignmentId ?? 'null'}`,
    `DecisionReason: '${decision.reason}' `,
    `Vault: ${vault.name};location=${vault.location}`,
    '',
  ].join('\r\n')
}

export async function authorizeVaultAction(
  o: Pick<DataPlaneOptions, 'authorize'>,
  caller: VerifiedClaims,
  vault: VaultTarget,
  action: VaultDataAction,
  scope: string,
): Promise<void> {
  const decision = await o.authorize(caller.oid, action, scope)
  if (decision.allowed) return
  throw VaultErrors.forbiddenByRbac(forbiddenMessage(caller, action, scope, vault, decision))
}
