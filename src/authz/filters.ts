// ARM `$filter` expressions of the authorization lists (reference §4): for role assignments
// `atScope()`, `principalId eq '{id}'`, `assignedTo('{id}')` joined with `and`; for role
// definitions `roleName eq '{name}'`, `type eq 'BuiltInRole'|'CustomRole'`, `atScopeAndBelow()`.
// SDKs send them %-encoded, sometimes with `+` for spaces; the caller decodes the query string.
import { BadRequest } from '../domain/errors.js'

export interface AssignmentFilter {
  atScope: boolean
  principalId?: string
}

export interface DefinitionFilter {
  roleName?: string
  type?: 'BuiltInRole' | 'CustomRole'
  atScopeAndBelow: boolean
}

const unsupported = (filter: string) =>
  new BadRequest('InvalidFilter', `The filter '${filter}' is not supported.`)

function clauses(filter: string): string[] {
  // Split on `and` outside quotes.
  return filter
    .replace(/\+/g, ' ')
    .split(/\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)/i)
    .map((c) => c.trim())
    .filter((c) => c !== '')
}

const quoted = (s: string) => s.replace(/''/g, "'")

export function parseAssignmentFilter(filter: string | undefined): AssignmentFilter {
  const out: AssignmentFilter = { atScope: false }
  if (filter === undefined) return out
  for (const c of clauses(filter)) {
    let m: RegExpExecArray | null
    if (/^atScope\(\s*\)$/i.test(c)) out.atScope = true
    else if ((m = /^principalId\s+eq\s+'([^']*)'$/i.exec(c))) out.principalId = m[1]!.toLowerCase()
    // No groups yet: a principal's transitive groups add nothing to itself.
    else if ((m = /^assignedTo\(\s*'([^']*)'\s*\)$/i.exec(c))) out.principalId = m[1]!.toLowerCase()
    else throw unsupported(filter)
  }
  return out
}

export function parseDefinitionFilter(filter: string | undefined): DefinitionFilter {
  const out: DefinitionFilter = { atScopeAndBelow: false }
  if (filter === undefined) return out
  for (const c of clauses(filter)) {
    let m: RegExpExecArray | null
    if (/^atScopeAndBelow\(\s*\)$/i.test(c)) out.atScopeAndBelow = true
    else if ((m = /^roleName\s+eq\s+'((?:[^']|'')*)'$/i.exec(c))) out.roleName = quoted(m[1]!)
    else if ((m = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i.exec(c))) {
      out.type = m[1]!.toLowerCase() === 'builtinrole' ? 'BuiltInRole' : 'CustomRole'
    } else throw unsupported(filter)
  }
  return out
}
