// What a data-plane service (vault, blob) receives from the composition root: a token verifier
// and a live access decision. Both consult live state, so a deleted assignment or identity is
// refused at the next request, even with a token issued before the change.
import type { KeyHierarchy } from '../common/key-hierarchy.js'
import type { RevocationOf, VerifyAccessToken } from '../common/access-token.js'
import type { Clock } from '../domain/clock.js'
import type { Directory } from '../directory/directory.js'
import type { Store } from '../store/store.js'

export interface DataDecision {
  allowed: boolean
  /** The role assignment that granted it, if any. */
  assignmentId?: string
  /** The deny assignment that refused it, if any. */
  denyAssignmentId?: string
  /** Azure's decision reason, e.g. `DeniedWithNoValidRBAC`. */
  reason: string
}

/** Decides a data action (`Microsoft.KeyVault/vaults/secrets/getSecret/action`, ...) at a scope. */
export type AuthorizeDataAction = (
  principalId: string,
  dataAction: string,
  scope: string,
) => DataDecision

export interface DataPlaneOptions {
  verifyToken: VerifyAccessToken
  authorize: AuthorizeDataAction
  /** Was this verified token revoked since? (A deleted identity's old tokens stop at once.) */
  revocationOf: RevocationOf
  directory: Directory
  store: Store
  clock: Clock
  tenantId: string
  /** The token service's base URL, for challenges (`authorization="<authority>/<tenant>"`). */
  authority: () => string
  dataDir: string
  /** Keys derived from the master key, one per purpose. */
  keys: KeyHierarchy
}
