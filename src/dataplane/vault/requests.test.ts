import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  apiVersionOf,
  checkName,
  checkVersion,
  maxResultsOf,
  parseSetBody,
  parseUpdateBody,
} from './requests.js'

const badParameter = (message: RegExp) => ({ code: 'BadParameter', status: 400, message })

describe('vault request checks', () => {
  for (const [url, version] of [
    ['/secrets/a?api-version=7.4', '7.4'],
    ['/secrets/a?api%2Dversion=2025-07-01', '2025-07-01'],
    ['/secrets?maxresults=2&api-version=7.6-preview.2', '7.6-preview.2'],
    ['/secrets?api-version=2016-10-01', '2016-10-01'],
  ] as const) {
    it(`reads api-version ${version} from ${url}`, () => assert.equal(apiVersionOf(url), version))
  }

  for (const url of [
    '/secrets',
    '/secrets?api-version=',
    '/secrets?api-version=8.0',
    '/s?api-version=2024-01-01',
  ]) {
    it(`refuses the api-version of ${url}`, () =>
      assert.throws(() => apiVersionOf(url), badParameter(/api-version|not recognized/)))
  }

  it('accepts names of 1 to 127 letters, digits and dashes', () => {
    for (const name of ['a', 'A-1', 'x'.repeat(127)]) assert.equal(checkName(name), name)
    for (const name of ['', 'a_b', 'a.b', 'a b', 'x'.repeat(128), 'é']) {
      assert.throws(() => checkName(name), badParameter(/invalid name/))
    }
  })

  it('takes an empty version as the latest and anything but 32 hex digits as not found', () => {
    assert.equal(checkVersion('n', ''), undefined)
    assert.equal(checkVersion('n', undefined), undefined)
    assert.equal(checkVersion('n', 'A'.repeat(32)), 'a'.repeat(32))
    assert.throws(() => checkVersion('n', 'latest'), { code: 'SecretNotFound', status: 404 })
  })

  it('takes maxresults from 1 to 25, 25 by default', () => {
    assert.equal(maxResultsOf(undefined), 25)
    assert.equal(maxResultsOf('7'), 7)
    for (const v of ['0', '26', 'x', '1.5'])
      assert.throws(() => maxResultsOf(v), badParameter(/maxresults/))
  })

  it('reads a set body, attributes in Unix seconds, and checks every field', () => {
    assert.deepEqual(
      parseSetBody({
        value: 'v',
        contentType: 'text/plain',
        tags: { a: 'b' },
        attributes: { enabled: false, nbf: 10, exp: 20 },
      }),
      {
        value: 'v',
        contentType: 'text/plain',
        tags: { a: 'b' },
        enabled: false,
        nbf: 10_000,
        exp: 20_000,
      },
    )
    const bad: [unknown, RegExp][] = [
      [null, /JSON object/],
      [{}, /value is required/],
      [{ value: 1 }, /value is required/],
      [{ value: 'x'.repeat(25 * 1024 + 1) }, /25 KB/],
      [{ value: 'v', contentType: 'x'.repeat(256) }, /contentType/],
      [{ value: 'v', tags: { a: 1 } }, /Tag 'a'/],
      [
        { value: 'v', tags: Object.fromEntries([...Array(16)].map((_, i) => [`t${i}`, 'v'])) },
        /15 tags/,
      ],
      [{ value: 'v', attributes: { exp: 1.5 } }, /attributes.exp/],
      [{ value: 'v', attributes: { enabled: 'yes' } }, /attributes.enabled/],
    ]
    for (const [body, message] of bad)
      assert.throws(() => parseSetBody(body), badParameter(message))
  })

  it('reads an update body where only the fields sent change', () => {
    assert.deepEqual(parseUpdateBody(undefined), {})
    assert.deepEqual(parseUpdateBody({ attributes: { enabled: true } }), { enabled: true })
    assert.deepEqual(parseUpdateBody({ tags: null, attributes: { exp: null } }), {
      tags: null,
      exp: null,
    })
  })
})
