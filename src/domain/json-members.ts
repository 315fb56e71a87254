// Duplicate member names in JSON. JSON.parse keeps the last of two equal names, so
// `{"oid":"a","oid":"b"}` reads as "b" here and may read as "a" in another parser: a token
// whose claims two parsers read differently is refused instead (RFC 7515 §5.2 lets a JWS
// recipient reject duplicates, RFC 8725 §3.8 recommends it).

/**
 * Whether `text`, a JSON text that JSON.parse accepts, has an object with two members of the
 * same name (compared after unescaping: `"a"` and `"\u0061"` are the same name). Walks the
 * text once; only strings, braces, brackets and colons matter, JSON.parse having checked the rest.
 */
export function hasDuplicateMembers(text: string): boolean {
  // One set of names per open object; arrays push `undefined` so nesting stays aligned.
  const open: (Set<string> | undefined)[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x7b /* { */) open.push(new Set())
    else if (c === 0x5b /* [ */) open.push(undefined)
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) open.pop()
    else if (c === 0x22 /* " */) {
      const start = i
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c /* \ */) i++
        else if (d === 0x22) break
      }
      const names = open[open.length - 1]
      if (names && nextSignificant(text, i + 1) === 0x3a /* : */) {
        const raw = text.slice(start, i + 1)
        const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1)
        if (names.has(name)) return true
        names.add(name)
      }
    }
  }
  return false
}

function nextSignificant(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c
  }
  return -1
}
