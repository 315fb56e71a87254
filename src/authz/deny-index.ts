// Deny assignments in the RBAC index. They are few (operator-managed), so they are kept by the
// key of their scope and looked up along the ancestors of a checked scope.
import { compileDeny, type CompiledDeny } from '../domain/rbac/compiled-role.js'
import { denyReaches, principalMatches } from '../domain/rbac/evaluate.js'
import type { DenyAssignmentRule } from '../domain/rbac/types.js'

export class DenyIndex {
  readonly #byId = new Map<string, { deny: CompiledDeny; key: string }>()
  readonly #byScope = new Map<string, CompiledDeny[]>()

  get size(): number {
    return this.#byId.size
  }

  /** Adds or replaces a deny assignment; `key` is the lower-case key of its scope. */
  set(rule: DenyAssignmentRule, key: string): void {
    this.remove(rule.id)
    const deny = compileDeny(rule)
    this.#byId.set(rule.id.toLowerCase(), { deny, key })
    this.#byScope.set(key, [...(this.#byScope.get(key) ?? []), deny])
  }

  remove(id: string): void {
    const entry = this.#byId.get(id.toLowerCase())
    if (!entry) return
    this.#byId.delete(id.toLowerCase())
    const rest = (this.#byScope.get(entry.key) ?? []).filter((d) => d !== entry.deny)
    if (rest.length === 0) this.#byScope.delete(entry.key)
    else this.#byScope.set(entry.key, rest)
  }

  /** Removes those whose scope key passes `within`. */
  removeWhere(within: (key: string) => boolean): void {
    for (const [id, { key }] of [...this.#byId]) if (within(key)) this.remove(id)
  }

  /** Whether a deny assignment along `ancestors` (the scope's first) denies the action. */
  denies(principalId: string, action: string, ancestors: string[], isData: boolean): boolean {
    for (let depth = 0; depth < ancestors.length; depth++) {
      for (const deny of this.#byScope.get(ancestors[depth]!) ?? []) {
        if (!denyReaches(deny.rule, depth) || !principalMatches(deny.rule, principalId)) continue
        if (deny.match(action, isData) !== undefined) return true
      }
    }
    return false
  }

  /** Every deny assignment at one of these scope keys (evaluate() sorts out the rest). */
  at(ancestors: string[]): CompiledDeny[] {
    return ancestors.flatMap((k) => this.#byScope.get(k) ?? [])
  }
}
