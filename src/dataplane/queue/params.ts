// The Queue operations' integer query parameters, with Azure's two errors: 400
// InvalidQueryParameterValue for a value that is not an integer, 400
// OutOfRangeQueryParameterValue for one outside the operation's range.
import { QueueErrors } from './errors.js'

export interface IntegerRange {
  min: number
  max: number
}

/** The parameter's value, `fallback` when absent; `undefined` fallback makes it required. */
export function integerParam(
  query: ReadonlyMap<string, string>,
  name: string,
  range: IntegerRange,
  fallback?: number,
): number {
  const raw = query.get(name)
  if (raw === undefined) {
    if (fallback === undefined) throw QueueErrors.missingQuery(name)
    return fallback
  }
  if (!/^-?\d{1,15}$/.test(raw)) throw QueueErrors.invalidQuery(name, raw, 'not an integer')
  const n = Number(raw)
  if (n < range.min || n > range.max)
    throw QueueErrors.queryOutOfRange(name, raw, range.min, range.max)
  return n
}
