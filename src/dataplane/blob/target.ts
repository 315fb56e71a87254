// What a path-style Blob URL addresses (reference §8, "URL parsing"): the first segment is the
// account, the second the container, and the rest, slashes included, the blob name. Each part
// is percent-decoded once, as the SDK encodes it (`escapeURLPath`).
import { BlobErrors } from './errors.js'

export interface BlobTarget {
  account: string
  container?: string
  blob?: string
}

export interface ParsedUrl {
  target: BlobTarget
  /** Query parameters with lower-cased names (Azure's are case-insensitive). */
  query: Map<string, string>
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw BlobErrors.invalidUri()
  }
}

export function parseUrl(rawUrl: string): ParsedUrl {
  const q = rawUrl.indexOf('?')
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q)
  const query = new Map<string, string>()
  if (q >= 0) {
    for (const [name, value] of new URLSearchParams(rawUrl.slice(q + 1))) {
      query.set(name.toLowerCase(), value)
    }
  }
  if (!path.startsWith('/')) throw BlobErrors.invalidUri()
  const rest = path.slice(1)
  const first = rest.indexOf('/')
  const account = decode(first < 0 ? rest : rest.slice(0, first))
  if (account === '') throw BlobErrors.invalidUri()
  if (first < 0 || first === rest.length - 1) return { target: { account }, query }
  const afterAccount = rest.slice(first + 1)
  const second = afterAccount.indexOf('/')
  const container = decode(second < 0 ? afterAccount : afterAccount.slice(0, second))
  if (second < 0 || second === afterAccount.length - 1) {
    return { target: { account, container }, query }
  }
  return { target: { account, container, blob: decode(afterAccount.slice(second + 1)) }, query }
}
