// The little of Storage's XML the storage commands read: flat elements of a listing or a
// message list, whose texts are escaped with the five predefined entities and nothing else
// (Keyless's own answers; Azure's are the same shape), and the one body they write.
const XML_ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&apos;': "'",
}

export const unescapeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos);/g, (e) => XML_ENTITIES[e]!)

export const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The raw (escaped) text of the first `<name>` element, if any. */
export const element = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]

/** The bodies of every `<name>…</name>` element. */
export const elements = (xml: string, name: string) =>
  [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!)

/** An HTTP date element as ISO 8601, as az prints times. */
export function isoTime(xml: string, name: string): string | undefined {
  const text = element(xml, name)
  return text === undefined ? undefined : new Date(text).toISOString()
}
