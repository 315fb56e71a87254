import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { element, escapeText, escapeXml, nameElement, parseBlockList } from './xml.js'

describe('blob XML', () => {
  it('escapes text and writes empty values as empty elements', () => {
    assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;')
    assert.equal(escapeText(`a<b>&"c'`), `a&lt;b&gt;&amp;"c'`)
    assert.equal(element('Prefix', 'a&b'), '<Prefix>a&amp;b</Prefix>')
    assert.equal(element('Etag', '"0x1"'), '<Etag>"0x1"</Etag>')
    assert.equal(element('NextMarker', ''), '<NextMarker />')
    assert.equal(element('Content-MD5', null), '<Content-MD5 />')
    assert.equal(element('Content-Length', 0), '<Content-Length>0</Content-Length>')
  })

  it('percent-encodes names XML cannot carry, with Encoded="true"', () => {
    assert.equal(nameElement('dir/a b.txt'), '<Name>dir/a b.txt</Name>')
    assert.equal(nameElement('a\u0001b'), '<Name Encoded="true">a%01b</Name>')
    assert.equal(nameElement('a\ufffe'), '<Name Encoded="true">a%EF%BF%BE</Name>')
    assert.equal(nameElement('emoji 😀'), '<Name>emoji 😀</Name>')
  })

  it('reads the block lists the SDK and other clients send', () => {
    const cases: Array<[string, string, Array<[string, string]>]> = [
      [
        'the SDK',
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList><Latest>QQ==</Latest><Latest>Qg==</Latest></BlockList>',
        [
          ['Latest', 'QQ=='],
          ['Latest', 'Qg=='],
        ],
      ],
      [
        'indented, every kind',
        '<?xml version="1.0" encoding="utf-8"?>\n<BlockList>\n  <Committed>QQ==</Committed>\n  <Uncommitted>Qg==</Uncommitted>\n  <Latest>Qw==</Latest>\n</BlockList>\n',
        [
          ['Committed', 'QQ=='],
          ['Uncommitted', 'Qg=='],
          ['Latest', 'Qw=='],
        ],
      ],
      ['an empty list', '<BlockList></BlockList>', []],
      ['a self-closed list', '<BlockList />', []],
      ['entities', '<BlockList><Latest>a&#x2B;b&amp;</Latest></BlockList>', [['Latest', 'a+b&']]],
    ]
    for (const [name, xml, expected] of cases) {
      assert.deepEqual(
        parseBlockList(xml).map((e) => [e.kind, e.id]),
        expected,
        name,
      )
    }
  })

  it('refuses anything else as InvalidXmlDocument', () => {
    for (const xml of [
      '',
      'not xml',
      '<BlockList><Latest>a</Latest>',
      '<BlockList><Other>a</Other></BlockList>',
      '<BlockList><Latest>a</Committed></BlockList>',
      '<Blocks><Latest>a</Latest></Blocks>',
      '<BlockList><Latest>&bogus;</Latest></BlockList>',
    ]) {
      assert.throws(() => parseBlockList(xml), { code: 'InvalidXmlDocument', status: 400 }, xml)
    }
  })
})
