// The little XML the Blob API needs: writing listings and errors with escaping, and reading the
// one XML input, a Put Block List body. Both are flat and fixed in shape, so no parser library.
import { BlobErrors } from './errors.js'

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

/** For attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

/** For element text, where Azure leaves quotes as they are (`<Etag>"0x8D..."</Etag>`). */
export function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ESCAPES[c] as string)
}

/** `<name>text</name>`, or `<name />` for an empty value, as Azure writes empty properties. */
export function element(name: string, text: string | number | boolean | null | undefined): string {
  if (text === null || text === undefined || text === '') return `<${name} />`
  return `<${name}>${escapeText(String(text))}</${name}>`
}

/** Whether XML 1.0 can carry the text: no C0 control but tab, LF, CR, and no U+FFFE/U+FFFF.
 * (Names are decoded from UTF-8, so they hold no lone surrogates.) */
export function isXmlText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff) {
      return false
    }
  }
  return true
}

/** A blob or prefix name: percent-encoded with `Encoded="true"` when XML cannot carry it. */
export function nameElement(name: string): string {
  if (!isXmlText(name)) return `<Name Encoded="true">${encodeURIComponent(name)}</Name>`
  return element('Name', name)
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Element text back to the string it carries; InvalidXmlDocument on an unknown entity. */
export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16))
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10))
    const named = ENTITIES[ref]
    if (named === undefined) throw BlobErrors.invalidXml()
    return named
  })
}

export type BlockListKind = 'Latest' | 'Committed' | 'Uncommitted'

export interface BlockListEntry {
  kind: BlockListKind
  id: string
}

/**
 * Reads `<BlockList><Latest>id</Latest><Committed>id</Committed>...</BlockList>`
 * (https://learn.microsoft.com/rest/api/storageservices/put-block-list#request-body).
 * Throws `InvalidXmlDocument` on anything else.
 */
export function parseBlockList(xml: string): BlockListEntry[] {
  let rest = xml.replace(/^\ufeff/, '').trim()
  rest = rest.replace(/^<\?xml[^?]*\?>/, '').trim()
  const root = /^<BlockList\s*>([\s\S]*)<\/BlockList\s*>$/.exec(rest)
  if (!root) {
    if (/^<BlockList\s*\/>$/.test(rest)) return []
    throw BlobErrors.invalidXml()
  }
  const entries: BlockListEntry[] = []
  const item = /\s*<(Latest|Committed|Uncommitted)\s*>([^<]*)<\/\1\s*>\s*/y
  const body = root[1] as string
  let at = 0
  while (at < body.length) {
    item.lastIndex = at
    const m = item.exec(body)
    if (!m) {
      if (body.slice(at).trim() === '') break
      throw BlobErrors.invalidXml()
    }
    entries.push({ kind: m[1] as BlockListKind, id: unescapeXml((m[2] as string).trim()) })
    at = item.lastIndex
  }
  return entries
}
