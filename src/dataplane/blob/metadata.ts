// User metadata travels as `x-ms-meta-<name>` headers. Names are C# identifiers, compared
// case-insensitively but kept in the casing they were set with, which only the raw headers hold
// (Node lower-cases `headers`). At most 8 KiB of names and values in all.
import { BlobErrors } from './errors.js'

export type Metadata = Record<string, string>

const PREFIX = 'x-ms-meta-'
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_BYTES = 8 * 1024

export function readMetadata(rawHeaders: readonly string[]): Metadata {
  const out: Metadata = {}
  const seen = new Map<string, string>()
  let bytes = 0
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const header = rawHeaders[i] as string
    if (header.length <= PREFIX.length || header.slice(0, PREFIX.length).toLowerCase() !== PREFIX) {
      continue
    }
    const name = header.slice(PREFIX.length)
    const value = (rawHeaders[i + 1] as string).trim()
    if (!NAME.test(name)) throw BlobErrors.invalidMetadata()
    const earlier = seen.get(name.toLowerCase())
    if (earlier !== undefined) delete out[earlier]
    seen.set(name.toLowerCase(), name)
    out[name] = value
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value)
  }
  if (bytes > MAX_BYTES) throw BlobErrors.metadataTooLarge()
  return out
}

export function metadataHeaders(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(metadata)) out[`${PREFIX}${name}`] = value
  return out
}

export function parseMetadata(json: string): Metadata {
  return JSON.parse(json) as Metadata
}
