import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeProcAddress, findSocketRow, ipv6Bytes, procForms } from './proc-net.js'

describe('kernel socket tables', () => {
  const cases: Array<{ ip: string; port: number; le: boolean; tcp?: string; tcp6?: string }> = [
    {
      ip: '127.0.0.1',
      port: 8080,
      le: true,
      tcp: '0100007F:1F90',
      tcp6: '0000000000000000FFFF00000100007F:1F90',
    },
    {
      ip: '127.0.0.1',
      port: 8080,
      le: false,
      tcp: '7F000001:1F90',
      tcp6: '00000000000000000000FFFF7F000001:1F90',
    },
    {
      ip: '::ffff:127.0.0.1',
      port: 80,
      le: true,
      tcp: '0100007F:0050',
      tcp6: '0000000000000000FFFF00000100007F:0050',
    },
    {
      ip: '169.254.169.254',
      port: 80,
      le: true,
      tcp: 'FEA9FEA9:0050',
      tcp6: '0000000000000000FFFF0000FEA9FEA9:0050',
    },
    { ip: '::1', port: 443, le: true, tcp6: '00000000000000000000000001000000:01BB' },
    { ip: 'fe80::1%lo', port: 1, le: true, tcp6: '000080FE000000000000000001000000:0001' },
  ]
  for (const c of cases) {
    it(`prints ${c.ip}:${c.port} as the kernel does (${c.le ? 'little' : 'big'}-endian)`, () => {
      assert.deepEqual(procForms(c.ip, c.port, c.le), {
        ...(c.tcp ? { tcp: c.tcp } : {}),
        tcp6: c.tcp6,
      })
    })
  }

  it('expands IPv6 forms to 16 bytes', () => {
    assert.deepEqual(ipv6Bytes('::'), new Array(16).fill(0))
    assert.deepEqual(ipv6Bytes('1::2').slice(0, 2), [0, 1])
    assert.deepEqual(ipv6Bytes('::ffff:1.2.3.4').slice(10), [255, 255, 1, 2, 3, 4])
    assert.equal(
      encodeProcAddress(ipv6Bytes('2001:db8::1'), 0, false),
      '20010DB8000000000000000000000001:0000',
    )
  })

  it('finds the row of a connection by both ends and reads its uid and inode', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
      '   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 65534        0 222 1 0 20 4 30 10 -1',
      '   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 20 4 30 10 -1',
    ].join('\n')
    assert.deepEqual(findSocketRow(table, '0100007F:D431', '0100007F:1F90'), {
      local: '0100007F:D431',
      remote: '0100007F:1F90',
      uid: 65534,
      inode: 222,
    })
    assert.equal(findSocketRow(table, '0100007F:D432', '0100007F:1F90'), undefined)
  })
})
