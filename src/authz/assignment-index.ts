// The in-memory RBAC index: answers checkAccess in microseconds at a million assignments.
//
// Each principal holds a flat array of its assignments as (scope number, role number, slot)
// triples, so a check reads one small contiguous array instead of chasing a million-entry table
// at random. Scope keys, role GUIDs and principal ids are interned to small integers; the
// ancestors of a checked scope are cached as scope numbers, so a check is: find the principal,
// find the scope's ancestors, compare a few integers, and ask the role (which caches the actions
// it has decided). The rest of an assignment (its name, packed into 16 bytes) sits in a
// SlotTable. Deny assignments are few and kept by scope key. Explanations reuse
// domain/rbac/evaluate.ts on the assignments found, so both paths share one set of rules.
import { compileRole, type CompiledRole } from '../domain/rbac/compiled-role.js'
import { evaluate, roleGuidOf, type AccessDecision } from '../domain/rbac/evaluate.js'
import { ancestorKeys } from '../domain/rbac/scope-path.js'
import type {
  DenyAssignmentRule,
  Permission,
  RoleAssignmentGrant,
  RoleDefinition,
} from '../domain/rbac/types.js'
import { ByteBoundedMap, stringBytes } from './byte-bounded-map.js'
import { DenyIndex } from './deny-index.js'
import { Interner } from './interner.js'
import { SlotTable } from './slot-table.js'

/** Bytes of decided actions kept per role and plane (actions come from callers of checks). */
const ROLE_CACHE_BYTES = 256 * 1024
/**
 * Bytes of scopes and their ancestors kept; checks repeat scopes, and computing them allocates.
 * Bounded by bytes since any authenticated caller picks the scopes it asks about.
 */
export const ANCESTOR_CACHE_BYTES = 32 * 1024 * 1024
/** Spellings of role definition ids remembered (they come from stored, validated assignments). */
const ROLE_NUMBER_LIMIT = 4096
/** A principal with more assignments than this gets a per-scope map of them. */
const SCOPE_MAP_THRESHOLD = 32
/** Role numbers of assignments with a condition are stored offset by this: they never grant. */
const CONDITIONAL = 1 << 24

export interface IndexedAssignment {
  name: string
  /** Scope id or key. */
  scope: string
  principalId: string
  /** GUID or full role definition id. */
  roleDefinitionId: string
  condition?: string | null
}

export interface CheckOptions {
  /** The action is a data action (`dataActions`), not a control-plane action. */
  dataAction?: boolean
}

interface RoleEntry {
  compiled: CompiledRole
  decided: [ByteBoundedMap<boolean>, ByteBoundedMap<boolean>]
}

interface Ancestors {
  keys: string[]
  /** Scope numbers of `keys` (-1 when no assignment is there), valid for `generation`. */
  ids: number[]
  generation: number
}

/** The resource group key a scope falls in, or '' above groups: the unit of removeAtOrBelow. */
function groupOf(key: string): string {
  const parts = key.split('/', 5)
  return parts[1] === 'subscriptions' && parts[3] === 'resourcegroups' && parts[4] !== undefined
    ? parts.join('/')
    : ''
}

export class AssignmentIndex {
  readonly #slots = new SlotTable()
  readonly #scopes = new Interner()
  readonly #principals = new Interner()
  readonly #roleIds = new Interner()
  readonly #roles: (RoleEntry | undefined)[] = []
  /** Role numbers by role definition id as given (GUID or full id, any casing). */
  readonly #roleNumbers = new Map<string, number>()
  /** By principal number: its assignments as flat (scope, role, slot) triples. */
  readonly #lists: (number[] | undefined)[] = []
  /** Per-scope triple offsets of principals with many assignments, built on demand. */
  readonly #byScope = new Map<number, Map<number, number[]>>()
  /** Scope numbers by resource group key ('' for scopes above groups). */
  readonly #groups = new Map<string, Set<number>>()
  readonly #denies = new DenyIndex()
  readonly #ancestorCache = new ByteBoundedMap<Ancestors>(ANCESTOR_CACHE_BYTES)
  /** Bumped whenever a scope number is handed out or freed: cached ids are then stale. */
  #generation = 0
  /** Scratch space for packing a name. */
  readonly #packed = new Int32Array(4)

  get size(): number {
    return this.#slots.size
  }

  /** Bytes held by the cache of checked scopes (at most ANCESTOR_CACHE_BYTES). */
  get scopeCacheBytes(): number {
    return this.#ancestorCache.bytes
  }

  // ---- role definitions

  setRole(definition: RoleDefinition): void {
    const id = this.#internRole(definition.id)
    this.#roles[id] = {
      compiled: compileRole(definition),
      decided: [new ByteBoundedMap(ROLE_CACHE_BYTES), new ByteBoundedMap(ROLE_CACHE_BYTES)],
    }
  }

  deleteRole(roleDefinitionId: string): void {
    const id = this.#roleIds.lookup(roleGuidOf(roleDefinitionId))
    if (id !== undefined) this.#roles[id] = undefined
  }

  role(roleDefinitionId: string): CompiledRole | undefined {
    const id = this.#roleIds.lookup(roleGuidOf(roleDefinitionId))
    return id === undefined ? undefined : this.#roles[id]?.compiled
  }

  #internRole(roleDefinitionId: string): number {
    // Role numbers are never freed: there are few roles, and assignments may outlive a role.
    const cached = this.#roleNumbers.get(roleDefinitionId)
    if (cached !== undefined) return cached
    const guid = roleGuidOf(roleDefinitionId)
    const id = this.#roleIds.lookup(guid) ?? this.#roleIds.intern(guid)
    while (this.#roles.length <= id) this.#roles.push(undefined)
    if (this.#roleNumbers.size < ROLE_NUMBER_LIMIT) this.#roleNumbers.set(roleDefinitionId, id)
    return id
  }

  // ---- assignments

  /** Adds an assignment, replacing one of the same name (applying an event twice is harmless). */
  add(a: IndexedAssignment): void {
    const packed = SlotTable.pack(a.name, this.#packed) ? this.#packed : undefined
    const existing = this.#slots.find(a.name, packed)
    if (existing >= 0) this.#release(existing)
    const ancestors = this.#ancestors(a.scope)
    const known = ancestors.generation === this.#generation ? ancestors.ids[0]! : -1
    let scope = known
    if (known >= 0) this.#scopes.ref(known)
    else {
      const key = ancestors.keys[0]!
      scope = this.#scopes.intern(key)
      if (this.#scopes.refs(scope) === 1) {
        this.#generation++
        this.#groupSet(key).add(scope)
      }
    }
    const principal = this.#principals.intern(a.principalId.toLowerCase())
    const t = this.#slots
    const slot = t.allocate(a.name, packed)
    t.scope[slot] = scope
    t.principal[slot] = principal
    t.setCondition(slot, a.condition)
    const role = this.#internRole(a.roleDefinitionId) + (a.condition ? CONDITIONAL : 0)
    while (this.#lists.length <= principal) this.#lists.push(undefined)
    const list = this.#lists[principal]
    if (list) list.push(scope, role, slot)
    else this.#lists[principal] = [scope, role, slot]
    this.#byScope.delete(principal)
  }

  /** Removes an assignment by name. */
  remove(name: string): boolean {
    const packed = SlotTable.pack(name, this.#packed) ? this.#packed : undefined
    const slot = this.#slots.find(name, packed)
    if (slot < 0) return false
    this.#release(slot)
    return true
  }

  removePrincipal(principalId: string): number {
    const p = this.#principals.lookup(principalId.toLowerCase())
    const list = p === undefined ? [] : this.#lists[p]!
    const slots = list.filter((_, i) => i % 3 === 2)
    for (const s of slots) this.#release(s)
    return slots.length
  }

  /** Removes every assignment and deny assignment at or below a scope. */
  removeAtOrBelow(scope: string): number {
    const key = this.#ancestors(scope).keys[0]!
    const within = (k: string) => key === '/' || k === key || k.startsWith(key + '/')
    const group = groupOf(key)
    const candidates = group === '' ? this.#scopes.all() : (this.#groups.get(group) ?? [])
    const hit = new Set<number>()
    for (const id of candidates) if (within(this.#scopes.key(id))) hit.add(id)
    let removed = 0
    for (let s = 0; hit.size > 0 && s < this.#slots.end; s++) {
      if (this.#slots.isUsed(s) && hit.has(this.#slots.scope[s]!)) {
        this.#release(s)
        removed++
      }
    }
    this.#denies.removeWhere(within)
    return removed
  }

  #release(slot: number): void {
    const t = this.#slots
    const p = t.principal[slot]!
    const list = this.#lists[p]!
    for (let i = 2; i < list.length; i += 3) {
      if (list[i] === slot) {
        list.splice(i - 2, 3)
        break
      }
    }
    this.#byScope.delete(p)
    // One reference per assignment: the last one frees the principal's number.
    if (this.#principals.release(p)) this.#lists[p] = undefined
    const scope = t.scope[slot]!
    const key = this.#scopes.key(scope)
    if (this.#scopes.release(scope)) {
      this.#generation++
      this.#groupSet(key).delete(scope)
    }
    t.release(slot)
  }

  #groupSet(key: string): Set<number> {
    const g = groupOf(key)
    let set = this.#groups.get(g)
    if (!set) this.#groups.set(g, (set = new Set()))
    return set
  }

  // ---- deny assignments

  setDeny(rule: DenyAssignmentRule): void {
    this.#denies.set(rule, this.#ancestors(rule.scope).keys[0]!)
  }

  removeDeny(id: string): void {
    this.#denies.remove(id)
  }

  // ---- queries

  checkAccess(principalId: string, action: string, scope: string, o: CheckOptions = {}): boolean {
    const p =
      this.#principals.lookup(principalId) ?? this.#principals.lookup(principalId.toLowerCase())
    if (p === undefined) return false
    const isData = o.dataAction === true
    const ancestors = this.#ancestors(scope)
    const ids = this.#ancestorIds(ancestors)
    const list = this.#lists[p]!
    let granted = false
    if (list.length > 3 * SCOPE_MAP_THRESHOLD) {
      const byScope = this.#scopeMap(p, list)
      for (let d = 0; d < ids.length && !granted; d++) {
        for (const i of byScope.get(ids[d]!) ?? []) {
          if (this.#grants(list[i + 1]!, action, isData)) {
            granted = true
            break
          }
        }
      }
    } else {
      for (let i = 0; i < list.length && !granted; i += 3) {
        const sid = list[i]!
        for (let d = 0; d < ids.length; d++) {
          if (ids[d] === sid) {
            granted = this.#grants(list[i + 1]!, action, isData)
            break
          }
        }
      }
    }
    if (!granted || this.#denies.size === 0) return granted
    return !this.#denies.denies(principalId, action, ancestors.keys, isData)
  }

  #ancestors(scope: string): Ancestors {
    let a = this.#ancestorCache.get(scope)
    if (a === undefined) {
      const keys = ancestorKeys(scope)
      a = { keys, ids: keys.map(() => -1), generation: -1 }
      let bytes = 48
      for (const key of keys) bytes += stringBytes(key) + 8 // the key, and its id in `ids`
      this.#ancestorCache.set(scope, a, bytes)
    }
    return a
  }

  #ancestorIds(a: Ancestors): number[] {
    if (a.generation !== this.#generation) {
      for (let i = 0; i < a.keys.length; i++) a.ids[i] = this.#scopes.lookup(a.keys[i]!) ?? -1
      a.generation = this.#generation
    }
    return a.ids
  }

  #scopeMap(principal: number, list: number[]): Map<number, number[]> {
    let map = this.#byScope.get(principal)
    if (!map) {
      map = new Map()
      for (let i = 0; i < list.length; i += 3) {
        const at = map.get(list[i]!)
        if (at) at.push(i)
        else map.set(list[i]!, [i])
      }
      this.#byScope.set(principal, map)
    }
    return map
  }

  #grants(role: number, action: string, isData: boolean): boolean {
    const entry = role < CONDITIONAL ? this.#roles[role] : undefined // conditions fail closed
    if (!entry) return false
    const cache = entry.decided[isData ? 1 : 0]
    let granted = cache.get(action)
    if (granted === undefined) {
      granted = entry.compiled.decide(action, isData).granted
      cache.set(action, granted, 8)
    }
    return granted
  }

  /** The scopes (lower-cased keys) at which the principal holds any assignment. */
  scopesOf(principalId: string): string[] {
    const p = this.#principals.lookup(principalId.toLowerCase())
    const list = p === undefined ? undefined : this.#lists[p]
    if (!list) return []
    const out = new Set<string>()
    for (let i = 0; i < list.length; i += 3) out.add(this.#scopes.key(list[i]!))
    return [...out]
  }

  /** The principal's assignments at the scope or above it, nearest first. */
  assignmentsAt(principalId: string, scope: string): RoleAssignmentGrant[] {
    const p = this.#principals.lookup(principalId.toLowerCase())
    if (p === undefined) return []
    const list = this.#lists[p]!
    const ancestors = this.#ancestors(scope)
    const ids = this.#ancestorIds(ancestors)
    const out: RoleAssignmentGrant[] = []
    ids.forEach((sid, depth) => {
      for (let i = 0; i < list.length; i += 3) {
        if (list[i] !== sid) continue
        const slot = list[i + 2]!
        out.push({
          id: this.#slots.name(slot),
          scope: ancestors.keys[depth]!,
          principalId: principalId.toLowerCase(),
          roleDefinitionId: this.#roleIds.key(list[i + 1]! % CONDITIONAL),
          condition: this.#slots.condition(slot) ?? null,
        })
      }
    })
    return out
  }

  explain(
    principalId: string,
    action: string,
    scope: string,
    o: CheckOptions = {},
  ): AccessDecision {
    return evaluate(
      { principalId, action, scope, isDataAction: o.dataAction === true },
      this.assignmentsAt(principalId, scope),
      this.#denies.at(this.#ancestors(scope).keys),
      { get: (id) => this.role(id) },
    )
  }

  /** The permission blocks of the roles assigned to the principal at or above the scope. */
  permissionsAt(principalId: string, scope: string): Permission[] {
    const seen = new Set<string>()
    const out: Permission[] = []
    for (const a of this.assignmentsAt(principalId, scope)) {
      const role = this.role(a.roleDefinitionId)
      const key = `${a.roleDefinitionId}\n${a.condition ?? ''}`
      if (!role || seen.has(key)) continue
      seen.add(key)
      for (const p of role.definition.permissions) {
        out.push(a.condition ? { ...p, condition: a.condition, conditionVersion: '2.0' } : p)
      }
    }
    return out
  }
}
