// `--output json|table`: JSON is the API's own JSON; a table shows the fields people look for,
// in aligned columns under a header, like `az … -o table`.
export type OutputFormat = 'json' | 'table'

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'table']

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

/** The default: a table for a person at a terminal, JSON for a pipe or a file. */
export function defaultFormat(isTTY: boolean | undefined): OutputFormat {
  return isTTY ? 'table' : 'json'
}
