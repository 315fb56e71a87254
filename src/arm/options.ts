// What the control plane receives from the composition root.
import type { RevocationOf, VerifyAccessToken } from '../common/access-token.js'
import type { PublicUrl } from '../common/public-url.js'
import type { Clock } from '../domain/clock.js'
import type { Directory } from '../directory/directory.js'
import type { Authz } from '../authz/index.js'
import type { ActivityStore } from '../store/store.js'
import type { MachineIdOf } from './host-placement.js'

export interface ArmPluginOptions {
  directory: Directory
  verifyToken: VerifyAccessToken
  /** Whether a verified token was revoked since (principal deleted, …): refused with 401. */
  revocationOf: RevocationOf
  /** Audiences a management token may carry; the plugin adds its own public URL. */
  audiences: readonly string[]
  /** The operator: Owner at `/` through RBAC, and alone allowed to write deny assignments. */
  operatorObjectId: string
  clock: Clock
  publicUrl: PublicUrl
  /** The RBAC engine: decisions for every operation, and the Microsoft.Authorization API. */
  authz: Authz
  /** Properties the data planes add to their resources' views (vaultUri, primaryEndpoints). */
  dataPlanes?: DataPlaneLinks
  /** The activity log: every write is recorded there and read back through Azure Monitor's API. */
  activity: Pick<ActivityStore, 'append' | 'list'>
  /** A host's machine id, which decides who may place resources on the host (host-placement.ts). */
  machineIdOf: MachineIdOf
  /** Key Vault's host-name suffix, if vaults are served by name: the cloud metadata names it. */
  vaultHostSuffix?: string
}

export interface DataPlaneLinks {
  propertiesOf(resource: {
    id: string
    type: string
    name: string
  }): Promise<Record<string, unknown> | undefined>
}
