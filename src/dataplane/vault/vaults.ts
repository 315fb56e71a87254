// A vault as the data plane sees it: its ARM resource, its URL, and the soft-delete settings
// read from its ARM properties (`softDeleteRetentionInDays`, `enablePurgeProtection`).
import type { ResourceRow } from '../../store/schema.js'

export const KEY_VAULTS_TYPE_KEY = 'microsoft.keyvault/vaults'

export interface VaultTarget {
  /** The ARM id as created. */
  id: string
  /** The lower-cased id. */
  key: string
  name: string
  location: string
  /** `https://<host>:<port>/`, with the trailing slash Azure's `vaultUri` has. */
  uri: string
  retentionDays: number
  purgeProtection: boolean
}

function properties(row: ResourceRow): Record<string, unknown> {
  try {
    const p = JSON.parse(row.properties) as unknown
    return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

export function vaultTarget(row: ResourceRow, uri: string, defaultRetentionDays: number) {
  const p = properties(row)
  const days = p.softDeleteRetentionInDays
  const target: VaultTarget = {
    id: row.id,
    key: row.key,
    name: row.name,
    location: row.location,
    uri,
    retentionDays:
      Number.isInteger(days) && (days as number) >= 7 && (days as number) <= 90
        ? (days as number)
        : defaultRetentionDays,
    purgeProtection: p.enablePurgeProtection === true,
  }
  return target
}

/** Azure's `recoveryLevel` for a vault with soft delete (always on since 2020). */
export function recoveryLevel(v: VaultTarget): string {
  const base = v.purgeProtection ? 'Recoverable' : 'Recoverable+Purgeable'
  return v.retentionDays < 90 ? `Customized${base}` : base
}

/** The RBAC scope of one object (reference §5): `<vault id>/secrets/<name>` or `/keys/<name>`. */
export function objectScope(v: VaultTarget, collection: 'secrets' | 'keys', name: string): string {
  return `${v.id}/${collection}/${name}`
}
