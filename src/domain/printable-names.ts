// Names that print alike must be one name (issue 11.6). ARM compares ids with .NET's
// OrdinalIgnoreCase, Keyless with JavaScript's toLowerCase: for ASCII the two agree, and ASCII
// is all the resource types' own names allow (names.ts). Resource group names allow Unicode
// letters, and there the two foldings, and the eye, can disagree: dotless `ı` upper-cases to
// ASCII `I`, dotted `İ` lower-cases to two characters, the Kelvin sign `K` is `K` to the eye,
// Cyrillic `а` is Latin `a`. So a name is accepted only if each of its characters folds the
// same way under every rule and looks like no other accepted character:
// - NFC, and no character with a compatibility form (`K`, fullwidth letters, ligatures);
// - case maps one to one, round-trips, and never turns a non-ASCII character into ASCII;
// - letters of one script only, and no Cyrillic or Greek letter that looks Latin.
// Then two accepted names with different keys never print alike.

/** Cyrillic and Greek letters that look like Latin ones (Unicode confusables.txt, the ones
 * that pass the rules above). */
const LOOKS_LATIN = new Set([...'аеорсухіјѕԁԛԝһԍӏАВЕКМНОРСТХІЈЅԌ', ...'αορνικτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ'])

const SCRIPTS: [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  // Japanese writes one word in all three.
  ['Japanese', /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hangul', /\p{Script=Hangul}/u],
]
/** Marks shared by scripts (the long vowel mark ー, combining accents) belong to none. */
const SHARED = /[\p{Script=Common}\p{Script=Inherited}]/u
const LETTER = /\p{L}/u
// eslint-disable-next-line no-control-regex -- ASCII is every code point below 0x80
const ASCII = /^[\x00-\x7f]*$/

function scriptOf(c: string): string | undefined {
  if (SHARED.test(c)) return undefined
  for (const [name, re] of SCRIPTS) if (re.test(c)) return name
  return 'Other'
}

/** Why `name` could print like another name, or undefined when it cannot. */
export function ambiguityOf(name: string): string | undefined {
  if (name !== name.normalize('NFC')) return 'it is not in Unicode normal form C'
  const scripts = new Set<string>()
  for (const c of name) {
    const script = LETTER.test(c) ? scriptOf(c) : undefined
    if (script) scripts.add(script)
    if (ASCII.test(c)) continue
    if (c.normalize('NFKC') !== c) return `'${c}' has a compatibility form`
    const lower = c.toLowerCase()
    const upper = c.toUpperCase()
    if (lower.length !== c.length || upper.length !== c.length)
      return `'${c}' changes length when its case changes`
    if (lower.toUpperCase() !== upper || upper.toLowerCase() !== lower)
      return `'${c}' does not keep its identity when its case changes`
    if (ASCII.test(lower) || ASCII.test(upper)) return `'${c}' folds to an ASCII letter`
    if (LOOKS_LATIN.has(c)) return `'${c}' looks like a Latin letter`
  }
  if (scripts.size > 1) return `it mixes letters of ${[...scripts].sort().join(' and ')}`
  return undefined
}

/**
 * The case folding of ids: ASCII letters as ARM's OrdinalIgnoreCase folds them, and any other
 * character lower-cased only when that maps one character to one non-ASCII character. So
 * `K` (Kelvin), `ı` and `İ` never fold onto `k` or `i`: an id spelled with them finds nothing,
 * as names with them are never created (ambiguityOf).
 */
export function foldIdCase(id: string): string {
  if (ASCII.test(id)) return id.toLowerCase()
  let out = ''
  for (const c of id) {
    const lower = c.toLowerCase()
    out += lower.length === c.length && ASCII.test(lower) === ASCII.test(c) ? lower : c
  }
  return out
}
