import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  GENESIS_HASH,
  canonicalJson,
  entryHash,
  verifyLinks,
  type StoredLink,
} from './log-chain.js'

describe('log chain', () => {
  it('writes canonical JSON: keys sorted at every depth, no whitespace, undefined left out', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 'é' }], c: undefined }, A: null }),
      '{"A":null,"a":{"d":[3,{"y":"é","z":1}]},"b":1}',
    )
  })

  it('hashes the previous hash, seq, time and record exactly as documented', () => {
    // printf '%s\n%s\n%s\n%s' "$(printf '0%.0s' $(seq 64))" 1 1000 '{}' | sha256sum
    assert.equal(
      entryHash(GENESIS_HASH, { seq: 1, createdAt: 1000, record: '{}' }),
      '46f71e10ca68907021e3b4ca8b24ad2ff1d58fd6dd75355f77c750bf3fccfe36',
    )
  })

  const chain = (n: number): StoredLink[] => {
    const out: StoredLink[] = []
    let prev = GENESIS_HASH
    for (let seq = 1; seq <= n; seq++) {
      const link = { seq, createdAt: seq * 1000, record: canonicalJson({ seq }) }
      const hash = entryHash(prev, link)
      out.push({ ...link, prevHash: prev, hash })
      prev = hash
    }
    return out
  }

  it('accepts a sound chain and returns its tail', () => {
    const links = chain(3)
    assert.deepEqual(verifyLinks({ seq: 0, hash: GENESIS_HASH }, links), {
      tail: { seq: 3, hash: links[2]!.hash },
    })
  })

  const breaks: [string, (l: StoredLink[]) => StoredLink[], number, string][] = [
    [
      'an edited record',
      (l) => l.map((e, i) => (i === 1 ? { ...e, record: '{"seq":9}' } : e)),
      2,
      'hash',
    ],
    ['a removed entry', (l) => l.filter((_, i) => i !== 1), 3, 'sequence-gap'],
    [
      'a record that is not canonical',
      (l) => l.map((e, i) => (i === 0 ? { ...e, record: '{ "seq":1}' } : e)),
      1,
      'not-canonical',
    ],
    [
      'a relinked entry',
      (l) => l.map((e, i) => (i === 2 ? { ...e, prevHash: GENESIS_HASH } : e)),
      3,
      'prev-hash',
    ],
  ]
  for (const [what, tamper, seq, reason] of breaks) {
    it(`names the first entry after ${what}`, () => {
      assert.deepEqual(verifyLinks({ seq: 0, hash: GENESIS_HASH }, tamper(chain(4))), {
        broken: { seq, reason },
      })
    })
  }
})
