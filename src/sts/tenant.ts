// The tenant segment of STS URLs: Keyless has one tenant per installation. MSAL lower-cases the
// authority, so the GUID is compared case-insensitively.
import { OAuthErrors } from '../common/oauth-error.js'

export interface TenantGuard {
  tenantId: string
  /** Returns the canonical tenant id, or throws the Entra "tenant not found" error. */
  resolve(segment: string): string
}

export function createTenantGuard(tenantId: string): TenantGuard {
  const key = tenantId.toLowerCase()
  return {
    tenantId,
    resolve(segment) {
      if (segment.toLowerCase() !== key) throw OAuthErrors.tenantNotFound(segment)
      return tenantId
    },
  }
}
