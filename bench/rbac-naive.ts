// The baseline of the RBAC benchmark: no index, one pass over every assignment per check. It is
// written as a tight loop (role definitions compiled once, scope keys lower-cased up front, no
// allocation per assignment), so the comparison measures the index, not a slow straw man.
import { compileDeny, createRoleCatalog } from '../src/domain/rbac/compiled-role.js'
import { denyReaches, principalMatches } from '../src/domain/rbac/evaluate.js'
import { ancestorKeys } from '../src/domain/rbac/scope-path.js'
import type { DenyAssignmentRule, RoleDefinition } from '../src/domain/rbac/types.js'
import type { IndexedAssignment } from '../src/authz/assignment-index.js'

interface Row {
  principalId: string
  scopeKey: string
  roleDefinitionId: string
}

export function createNaiveScan(
  assignments: Iterable<IndexedAssignment>,
  roles: RoleDefinition[],
  denies: DenyAssignmentRule[],
) {
  const rows: Row[] = []
  for (const a of assignments) {
    rows.push({
      principalId: a.principalId.toLowerCase(),
      scopeKey: a.scope.toLowerCase(),
      roleDefinitionId: a.roleDefinitionId.toLowerCase(),
    })
  }
  const catalog = createRoleCatalog(roles)
  const compiled = denies.map(compileDeny)
  return (principalId: string, action: string, scope: string, isData: boolean): boolean => {
    const ancestors = ancestorKeys(scope)
    const key = ancestors[0]!
    const p = principalId.toLowerCase()
    let granted = false
    for (let i = 0; i < rows.length && !granted; i++) {
      const r = rows[i]!
      if (r.principalId !== p) continue
      const k = r.scopeKey
      if (k !== '/' && k !== key && !key.startsWith(k + '/')) continue
      granted = catalog.get(r.roleDefinitionId)?.decide(action, isData).granted === true
    }
    if (!granted) return false
    for (const d of compiled) {
      const depth = ancestors.indexOf(d.rule.scope.toLowerCase())
      if (!denyReaches(d.rule, depth < 0 ? undefined : depth)) continue
      if (principalMatches(d.rule, p) && d.match(action, isData) !== undefined) return false
    }
    return true
  }
}
