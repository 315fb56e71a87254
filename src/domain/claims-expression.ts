// The expression language of flexible federated identity credentials (`claimsMatchingExpression`,
// languageVersion 1; learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials):
//   claims['sub'] matches 'repo:contoso/app:ref:refs/heads/*' and claims['job_workflow_ref'] eq '…'
// A term is a claim lookup, one operator and a single-quoted comparand; terms join with `and`
// (parentheses group). `matches` takes `*` (any run of characters, none included) and `?` (one
// character); `eq` compares exactly; both are case-sensitive. Beyond Entra (GitHub's `sub` and
// `job_workflow_ref` only) Keyless allows the claims listed below, Kubernetes' nested ones as
// claims['kubernetes.io']['namespace']. Parsed by hand into a tree and evaluated over it: no
// regular expressions built from user input (no ReDoS) and nothing like eval.

/** Claim paths an expression may look up. */
export const EXPRESSION_CLAIMS: readonly string[] = [
  'sub',
  'aud',
  'repository',
  'repository_owner',
  'ref',
  'ref_type',
  'environment',
  'event_name',
  'workflow',
  'job_workflow_ref',
  'kubernetes.io/namespace',
  'kubernetes.io/serviceaccount/name',
]

export type ClaimsExpression =
  | { kind: 'term'; path: string[]; op: 'matches' | 'eq'; value: string }
  | { kind: 'and'; terms: ClaimsExpression[] }

export class ExpressionSyntaxError extends Error {}

type Token = { t: 'word' | 'string' | '[' | ']' | '(' | ')'; v: string; at: number }

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
    } else if (c === '[' || c === ']' || c === '(' || c === ')') {
      out.push({ t: c, v: c, at: i++ })
    } else if (c === "'") {
      const at = i++
      let v = ''
      for (;;) {
        if (i >= src.length) throw new ExpressionSyntaxError(`unterminated string at ${at}`)
        const d = src[i++]!
        if (d === "'") break
        if (d === '\\' && (src[i] === "'" || src[i] === '\\')) v += src[i++]!
        else v += d
      }
      out.push({ t: 'string', v, at })
    } else if (/[A-Za-z_]/.test(c)) {
      const at = i
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++
      out.push({ t: 'word', v: src.slice(at, i), at })
    } else {
      throw new ExpressionSyntaxError(`unexpected '${c}' at ${i}`)
    }
  }
  return out
}

/** The tree of `src`, or ExpressionSyntaxError saying where it went wrong. */
export function parseClaimsExpression(src: string): ClaimsExpression {
  const tokens = tokenize(src)
  let p = 0
  const peek = () => tokens[p]
  const fail = (what: string): never => {
    const tok = peek()
    throw new ExpressionSyntaxError(
      tok ? `expected ${what} at ${tok.at}, found '${tok.v}'` : `expected ${what} at the end`,
    )
  }
  const take = (t: Token['t'], v?: string) => {
    const tok = peek()
    if (!tok || tok.t !== t || (v !== undefined && tok.v !== v)) fail(v ?? t)
    p++
    return tok!
  }

  function term(): ClaimsExpression {
    if (peek()?.t === '(') {
      p++
      const inner = conjunction()
      take(')')
      return inner
    }
    take('word', 'claims')
    const path: string[] = []
    do {
      take('[')
      path.push(take('string').v)
      take(']')
    } while (peek()?.t === '[')
    if (!EXPRESSION_CLAIMS.includes(path.join('/'))) {
      throw new ExpressionSyntaxError(
        `claim '${path.join("']['")}' cannot be used in an expression (allowed: ${EXPRESSION_CLAIMS.join(', ')})`,
      )
    }
    const op = peek()
    if (op?.t !== 'word' || (op.v !== 'matches' && op.v !== 'eq')) fail("'matches' or 'eq'")
    p++
    return { kind: 'term', path, op: op!.v as 'matches' | 'eq', value: take('string').v }
  }

  function conjunction(): ClaimsExpression {
    const terms = [term()]
    while (peek()?.t === 'word' && peek()!.v === 'and') {
      p++
      terms.push(term())
    }
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms }
  }

  const tree = conjunction()
  if (p < tokens.length) fail("'and' or the end")
  return tree
}

/** `*` and `?` wildcard matching, linear backtracking over the last `*` (O(n·m) at worst). */
export function wildcardMatches(pattern: string, text: string): boolean {
  let pi = 0
  let ti = 0
  let star = -1
  let mark = 0
  while (ti < text.length) {
    if (pi < pattern.length && (pattern[pi] === '?' || pattern[pi] === text[ti])) {
      pi++
      ti++
    } else if (pi < pattern.length && pattern[pi] === '*') {
      star = pi++
      mark = ti
    } else if (star >= 0) {
      pi = star + 1
      ti = ++mark
    } else return false
  }
  while (pi < pattern.length && pattern[pi] === '*') pi++
  return pi === pattern.length
}

function lookup(claims: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = claims
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
    v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined
  }
  return v
}

export type ExpressionResult = { ok: true } | { ok: false; failed: string }

const show = (t: Extract<ClaimsExpression, { kind: 'term' }>) =>
  `claims['${t.path.join("']['")}'] ${t.op} '${t.value}'`

/** Whether `claims` satisfy the expression; if not, the first term that failed and the value. */
export function evaluateClaimsExpression(
  e: ClaimsExpression,
  claims: Record<string, unknown>,
): ExpressionResult {
  if (e.kind === 'and') {
    for (const t of e.terms) {
      const r = evaluateClaimsExpression(t, claims)
      if (!r.ok) return r
    }
    return { ok: true }
  }
  const v = lookup(claims, e.path)
  // An array claim (`aud`) satisfies the term when one of its strings does.
  const values = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string')
  const hit = values.some((x) => (e.op === 'eq' ? x === e.value : wildcardMatches(e.value, x)))
  if (hit) return { ok: true }
  const got = values.length === 0 ? 'absent' : `'${values.join("', '")}'`
  return { ok: false, failed: `${show(e)} is false (the claim is ${got})` }
}
