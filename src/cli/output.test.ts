import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { defaultFormat, renderTable, type Column } from './output.js'

interface Row {
  name: string
  ids?: string[]
  n?: number | null
}

const columns: Column<Row>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Ids', value: (r) => r.ids },
  { header: 'N', value: (r) => r.n },
]

describe('renderTable', () => {
  it('aligns columns under a dashed header and trims trailing spaces', () => {
    const text = renderTable(
      [
        { name: 'vm-long-name', ids: ['a', 'b'], n: 3 },
        { name: 'x', n: null },
      ],
      columns,
    )
    assert.equal(
      text,
      ['Name          Ids   N', '------------  ----  -', 'vm-long-name  a, b  3', 'x'].join('\n'),
    )
  })

  it('prints only the header for no rows', () => {
    assert.equal(renderTable([], columns), 'Name  Ids  N\n----  ---  -')
  })
})

describe('defaultFormat', () => {
  it('is a table on a terminal and JSON elsewhere', () => {
    assert.equal(defaultFormat(true), 'table')
    assert.equal(defaultFormat(undefined), 'json')
  })
})
