// Azure's naming rules for containers and blobs
// (https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata),
// and the RBAC scopes the names map to.
import { BlobErrors } from './errors.js'

const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/
const MAX_BLOB_NAME = 1024

export function checkContainerName(name: string): void {
  if (!CONTAINER.test(name)) throw BlobErrors.invalidResourceName()
}

export function checkBlobName(name: string): void {
  if (name.length === 0 || name.length > MAX_BLOB_NAME) throw BlobErrors.invalidResourceName()
}

/** The RBAC scope of a container (reference §5). */
export function containerScope(accountId: string, container: string): string {
  return `${accountId}/blobServices/default/containers/${container}`
}

/** The scope at which the containers of an account are listed. */
export function serviceScope(accountId: string): string {
  return `${accountId}/blobServices/default`
}

/**
 * Whether a blob name can be written as a scope path. Blob names may hold characters and
 * segments an ARM scope may not (`?`, `#`, `\`, control characters, empty or dot segments, a
 * trailing slash); no role assignment can name such a path, so those blobs are checked at the
 * container's scope, which decides the same.
 */
export function isScopePath(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return false
  }
  if (/[?#\\]|%2f|%5c/i.test(name)) return false
  return name.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && s.trim() === s)
}

/** The RBAC scope of a blob, or of its container when the name cannot be a scope path. */
export function blobScope(accountId: string, container: string, blob: string): string {
  const scope = containerScope(accountId, container)
  return isScopePath(blob) ? `${scope}/blobs/${blob}` : scope
}
