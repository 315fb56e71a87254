import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { validateResourceGroupName } from './names.js'
import { parseResourceId, sameResourceId } from './resource-id.js'

describe('names that print alike are one name', () => {
  const refused: [string, string][] = [
    ['dotless i', 'rg-\u0131'],
    ['dotted capital I', 'rg-\u0130'],
    ['Kelvin sign', 'rg-\u212a'],
    ['long s', 'rg-\u017f'],
    ['fullwidth A', 'rg-\uff21'],
    ['ligature fi', 'rg-\ufb01'],
    ['Cyrillic a among Latin', 'rg-\u0430'],
    ['all-Cyrillic look-alike', '\u0440\u043e\u0435'],
    ['Greek final sigma', 'rg-\u03c2'],
    ['decomposed e acute', 'rg-e\u0301'],
    ['sharp s (upper-cases to two letters)', 'rg-\u00df'],
  ]
  for (const [what, name] of refused) {
    it(`refuses a group name with ${what}`, () => {
      assert.throws(() => validateResourceGroupName(name), {
        code: 'InvalidResourceGroup',
        message: /could print like another name/,
      })
    })
  }
  for (const name of ['rg-München', 'rg-é', 'дым', 'データ', 'グループ']) {
    it(`accepts ${name}, which prints like no other name`, () => {
      validateResourceGroupName(name)
    })
  }

  it('compares ids case-insensitively, and keeps non-ASCII letters apart from ASCII', () => {
    const sub = '/subscriptions/00000000-0000-0000-0000-000000000001'
    assert.ok(sameResourceId(`${sub}/resourceGroups/RG-A`, `${sub}/resourcegroups/rg-a`))
    assert.ok(sameResourceId(`${sub}/resourceGroups/RG-Ä`, `${sub}/resourceGroups/rg-ä`))
    assert.ok(!sameResourceId(`${sub}/resourceGroups/rg-\u212a`, `${sub}/resourceGroups/rg-k`))
    assert.ok(!sameResourceId(`${sub}/resourceGroups/rg-\u0131`, `${sub}/resourceGroups/rg-i`))
    assert.ok(!sameResourceId(`${sub}/resourceGroups/rg-\u0130`, `${sub}/resourceGroups/rg-i`))
  })

  it('collapses doubled slashes and keeps a percent-encoded slash inside its segment', () => {
    const sub = '/subscriptions/00000000-0000-0000-0000-000000000001'
    assert.equal(parseResourceId(`${sub}//resourceGroups//rg`).key, `${sub}/resourcegroups/rg`)
    assert.throws(() => parseResourceId(`${sub}/resourceGroups/a%2Fb`), {
      code: 'InvalidResourceId',
      message: /encoded slash/,
    })
    assert.throws(() => validateResourceGroupName('a/b'), { code: 'InvalidResourceGroup' })
  })
})
