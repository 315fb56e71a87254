import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { seesSubscription } from './subscription-visibility.js'

const S = '6F8461BD-21F2-4F4F-8034-0C92A3C6F843'
const sub = `/subscriptions/${S.toLowerCase()}`

describe('seesSubscription', () => {
  const rows: Array<[string, string[], boolean]> = [
    ['no assignment', [], false],
    ['at the root', ['/'], true],
    ['at the subscription', [sub], true],
    ['on a group in it', [`${sub}/resourcegroups/rg`], true],
    [
      'on a resource in it',
      [`${sub}/resourcegroups/rg/providers/microsoft.keyvault/vaults/v`],
      true,
    ],
    [
      'only in another subscription',
      ['/subscriptions/00000000-0000-0000-0000-000000000001'],
      false,
    ],
    // A subscription whose id extends this one's is not inside it.
    ['in a subscription whose id extends it', [`${sub}0/resourcegroups/rg`], false],
  ]
  for (const [name, scopes, sees] of rows) {
    it(`${sees ? 'sees' : 'does not see'} it with an assignment ${name}`, () => {
      assert.equal(seesSubscription(scopes, S), sees)
    })
  }
})
