import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blobScope, checkContainerName, isScopePath } from './names.js'
import { requestedRange } from './range.js'
import { parseUrl } from './target.js'

describe('blob URLs, names and ranges', () => {
  it('splits path-style URLs into account, container and blob, decoding each once', () => {
    const cases: Array<[string, object]> = [
      ['/acct1', { account: 'acct1' }],
      ['/acct1/?comp=list', { account: 'acct1' }],
      ['/acct1/c1?restype=container', { account: 'acct1', container: 'c1' }],
      ['/acct1/c1/', { account: 'acct1', container: 'c1' }],
      ['/acct1/c1/dir/a%20b.txt', { account: 'acct1', container: 'c1', blob: 'dir/a b.txt' }],
      ['/acct1/c1/dir/', { account: 'acct1', container: 'c1', blob: 'dir/' }],
      ['/acct1/c1/a%2Fb', { account: 'acct1', container: 'c1', blob: 'a/b' }],
      ['/acct1/c1/%E4%B8%AD', { account: 'acct1', container: 'c1', blob: '中' }],
    ]
    for (const [url, target] of cases) assert.deepEqual(parseUrl(url).target, target, url)
    const { query } = parseUrl('/a/c?RESTYPE=container&comp=list&prefix=a%2Bb&marker=')
    assert.deepEqual(
      [...query],
      [
        ['restype', 'container'],
        ['comp', 'list'],
        ['prefix', 'a+b'],
        ['marker', ''],
      ],
    )
    assert.throws(() => parseUrl('/'), { code: 'InvalidUri' })
    assert.throws(() => parseUrl('/a/c/%E4'), { code: 'InvalidUri' })
  })

  it('applies Azure container naming rules', () => {
    for (const ok of ['abc', 'a-b-c', 'a'.repeat(63), '123']) checkContainerName(ok)
    for (const bad of ['ab', 'a'.repeat(64), 'Abc', 'a--b', '-ab', 'ab-', 'a_b', '$root']) {
      assert.throws(() => checkContainerName(bad), { code: 'InvalidResourceName' }, bad)
    }
  })

  it('checks blobs whose names cannot be a scope path at their container', () => {
    const account =
      '/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a'
    const container = `${account}/blobServices/default/containers/c`
    assert.equal(blobScope(account, 'c', 'dir/x y.txt'), `${container}/blobs/dir/x y.txt`)
    for (const name of [
      'a//b',
      'dir/',
      '../x',
      'a/./b',
      'a?b',
      'a#b',
      'a\\b',
      'a%2Fb',
      '\u0001',
      ' lead',
    ]) {
      assert.equal(isScopePath(name), false, name)
      assert.equal(blobScope(account, 'c', name), container, name)
    }
  })

  it('reads x-ms-range before Range, clamps the end and refuses a start past the end', () => {
    const r = (headers: Record<string, string>, size = 100) => requestedRange(headers, size)
    assert.equal(r({}), undefined)
    assert.deepEqual(r({ 'x-ms-range': 'bytes=10-19' }), { start: 10, end: 19 })
    assert.deepEqual(r({ 'x-ms-range': 'bytes=90-' }), { start: 90, end: 99 })
    assert.deepEqual(r({ 'x-ms-range': 'bytes=90-500' }), { start: 90, end: 99 })
    assert.deepEqual(r({ 'x-ms-range': 'bytes=0-0', range: 'bytes=5-6' }), { start: 0, end: 0 })
    assert.deepEqual(r({ range: 'bytes=5-6' }), { start: 5, end: 6 })
    assert.equal(r({ range: 'bytes=-5' }), undefined)
    assert.throws(() => r({ 'x-ms-range': 'bytes=-5' }), { code: 'InvalidHeaderValue' })
    assert.throws(() => r({ 'x-ms-range': 'bytes=9-3' }), { code: 'InvalidHeaderValue' })
    assert.throws(() => r({ 'x-ms-range': 'bytes=100-' }), {
      code: 'InvalidRange',
      status: 416,
      extra: { headers: { 'content-range': 'bytes */100' } },
    })
    assert.throws(() => r({ 'x-ms-range': 'bytes=0-' }, 0), { code: 'InvalidRange' })
  })
})
