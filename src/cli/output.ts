// `-o/--output json|jsonc|table|tsv|yaml|none` and `--query`, as the Azure CLI has them: JSON is
// the API's own JSON (jsonc the same, coloured); a table shows the fields people look for, in
// aligned columns under a header; tsv the values alone, for `read` and `cut`; `--query` is a
// JMESPath expression applied to the JSON first, and then a table shows what it selected.
import jmespath from 'jmespath'
import { stringify as toYaml } from 'yaml'

export type OutputFormat = 'json' | 'jsonc' | 'table' | 'tsv' | 'yaml' | 'none'

export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  'json',
  'jsonc',
  'table',
  'tsv',
  'yaml',
  'none',
]

export interface Column<T> {
  header: string
  value: (row: T) => unknown
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return value.map(cell).join(', ')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value).replace(/\s*\n\s*/g, ' ')
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const grid = [
    columns.map((c) => c.header),
    columns.map((c) => '-'.repeat(c.header.length)),
    ...rows.map((row) => columns.map((c) => cell(c.value(row)))),
  ]
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i]!.length)))
  grid[1] = widths.map((w) => '-'.repeat(w))
  return grid
    .map((line) =>
      line
        .map((text, i) => text.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function renderJson(data: unknown): string {
  return JSON.stringify(data, null, 2)
}

// ANSI colours of `az -o jsonc`: keys blue, strings green, numbers and literals as az has them.
const COLOUR = { key: 34, string: 32, number: 33, literal: 36 } as const
const paint = (code: number, text: string) => `\u001b[${code}m${text}\u001b[0m`

/** JSON with colours, for a terminal. */
export function renderJsonc(data: unknown): string {
  return JSON.stringify(data, null, 2).replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    (match, str: string | undefined, colon: string | undefined, literal: string | undefined) => {
      if (str !== undefined)
        return colon ? paint(COLOUR.key, str) + colon : paint(COLOUR.string, str)
      return paint(literal !== undefined ? COLOUR.literal : COLOUR.number, match)
    },
  )
}

/**
 * Tab-separated values: one line per item of an array (one for anything else), the scalar
 * fields of an object in their order; nested objects and arrays are left out, as `az -o tsv`.
 */
export function renderTsv(data: unknown): string {
  const line = (value: unknown): string => {
    if (value === null || value === undefined) return ''
    if (typeof value !== 'object') return String(value).replace(/[\t\n]/g, ' ')
    if (Array.isArray(value))
      return value
        .filter((v) => typeof v !== 'object')
        .map(line)
        .join('\t')
    return Object.values(value)
      .filter((v) => v === null || typeof v !== 'object')
      .map(line)
      .join('\t')
  }
  return (Array.isArray(data) ? data : [data]).map(line).join('\n')
}

export function renderYaml(data: unknown): string {
  return toYaml(data).trimEnd()
}

/** A table of whatever a query selected: the keys of its objects as columns, as az does. */
export function queriedColumns(data: unknown): Column<unknown>[] {
  const rows = Array.isArray(data) ? data : [data]
  const keys = new Set<string>()
  for (const row of rows) {
    if (row !== null && typeof row === 'object' && !Array.isArray(row))
      for (const k of Object.keys(row)) keys.add(k)
  }
  if (keys.size === 0) return [{ header: 'Result', value: (row) => row }]
  return [...keys].map((k) => ({
    header: k.charAt(0).toUpperCase() + k.slice(1),
    value: (row) => (row as Record<string, unknown> | null)?.[k],
  }))
}

/** Why a `--query` expression cannot be used, or undefined when it can. */
export function queryProblem(expression: string): string | undefined {
  try {
    jmespath.search(null, expression) // parses the expression; null selects nothing
    return undefined
  } catch (e) {
    return `--query '${expression}' is not a JMESPath expression: ${(e as Error).message}`
  }
}

export function applyQuery(data: unknown, expression: string | undefined): unknown {
  return expression === undefined ? data : (jmespath.search(data, expression) as unknown)
}

/**
 * Renders `data` (after `query`) in `format`: a table of `columns` over `rows` when nothing was
 * queried, of what was selected when something was. `none` prints nothing.
 */
export function render<T>(
  data: unknown,
  o: { format: OutputFormat; query?: string; columns: readonly Column<T>[]; rows?: readonly T[] },
): string | undefined {
  const selected = applyQuery(data, o.query)
  switch (o.format) {
    case 'none':
      return undefined
    case 'json':
      return renderJson(selected)
    case 'jsonc':
      return renderJsonc(selected)
    case 'yaml':
      return renderYaml(selected)
    case 'tsv':
      return renderTsv(selected)
    case 'table': {
      if (o.query !== undefined)
        return renderTable(
          Array.isArray(selected) ? selected : [selected],
          queriedColumns(selected),
        )
      const rows = o.rows ?? ((Array.isArray(data) ? data : [data]) as T[])
      return renderTable(rows, o.columns)
    }
  }
}

/** The default: a table for a person at a terminal, JSON for a pipe or a file. */
export function defaultFormat(isTTY: boolean | undefined): OutputFormat {
  return isTTY ? 'table' : 'json'
}
