// Azure Monitor's activity-log `$filter` (https://learn.microsoft.com/rest/api/monitor/activity-logs/list):
//   eventTimestamp ge '<t1>' [and eventTimestamp le '<t2>'] [and <field> eq '<value>']
// with one of resourceGroupName, resourceUri, correlationId (and Keyless's caller, status).
// Terms are joined by `and`; names and operators in any casing; a quote inside a value is
// doubled, as OData writes it.
import { BadRequest } from '../../domain/errors.js'
import type { ActivityStatus } from '../../domain/log-records.js'

export interface ActivityQuery {
  since: number
  until?: number
  resourceGroupName?: string
  resourceUri?: string
  correlationId?: string
  caller?: string
  status?: ActivityStatus
}

const TERM = /^\s*([A-Za-z]+)\s+(eq|ge|le)\s+'((?:[^']|'')*)'\s*(?:and\b|$)/i
const EQUALS: Record<string, keyof ActivityQuery> = {
  resourcegroupname: 'resourceGroupName',
  resourceuri: 'resourceUri',
  correlationid: 'correlationId',
  caller: 'caller',
  status: 'status',
}
const STATUSES = new Set(['Succeeded', 'Failed', 'Accepted'])

const invalid = (message: string) => new BadRequest('InvalidFilter', message)

function time(value: string): number {
  const t = Date.parse(value)
  if (!Number.isFinite(t)) throw invalid(`'${value}' is not a valid date and time`)
  return t
}

export function parseActivityFilter(filter: unknown): ActivityQuery {
  if (typeof filter !== 'string' || filter.trim() === '') {
    throw invalid("the $filter query parameter is required and must contain eventTimestamp ge '…'")
  }
  const out: Partial<ActivityQuery> = {}
  let rest = filter
  while (rest.trim() !== '') {
    const m = TERM.exec(rest)
    if (!m) throw invalid(`the $filter '${filter}' could not be read near '${rest.trim()}'`)
    rest = rest.slice(m[0].length)
    const [, name, op, raw] = m as unknown as [string, string, string, string]
    const field = name.toLowerCase()
    const value = raw.replace(/''/g, "'")
    const operator = op.toLowerCase()
    if (field === 'eventtimestamp' && operator === 'ge') out.since = time(value)
    else if (field === 'eventtimestamp' && operator === 'le') out.until = time(value)
    else if (operator === 'eq' && EQUALS[field]) {
      const key = EQUALS[field]
      if (key === 'status' && !STATUSES.has(value)) {
        throw invalid(`status must be one of ${[...STATUSES].join(', ')}`)
      }
      ;(out as Record<string, unknown>)[key] = value
    } else throw invalid(`the $filter term '${name} ${op}' is not supported`)
  }
  if (out.since === undefined) {
    throw invalid("the $filter must contain eventTimestamp ge '…'")
  }
  if (out.until !== undefined && out.until < out.since) {
    throw invalid('the end of the time range is before its start')
  }
  return out as ActivityQuery
}
