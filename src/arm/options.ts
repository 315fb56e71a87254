// What the control plane receives from the composition root.
import type { VerifyAccessToken } from '../common/access-token.js'
import type { PublicUrl } from '../common/public-url.js'
import type { Clock } from '../domain/clock.js'
import type { Directory } from '../directory/directory.js'

export interface ArmPluginOptions {
  directory: Directory
  verifyToken: VerifyAccessToken
  /** Audiences a management token may carry; the plugin adds its own public URL. */
  audiences: readonly string[]
  /** Until RBAC: the only principal allowed to do anything. */
  operatorObjectId: string
  clock: Clock
  publicUrl: PublicUrl
}
