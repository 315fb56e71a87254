// The one rule of which tokens a revocation covers, table-driven: every kind of revocation
// against every kind of token, at, before and after the revocation's second, in any casing.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  createRevocationSet,
  isTokenRevoked,
  parseRevocation,
  revocationKey,
  type RevocableClaims,
  type Revocation,
} from './token-revocation.js'

const SUB = '/subscriptions/6f1c0b2e-0000-4000-8000-000000000001'
const VM = `${SUB}/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm1`
const VM2 = `${SUB}/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm10`
const UAI = `${SUB}/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`
const OID = '11111111-1111-4111-8111-111111111111'
const OTHER = '22222222-2222-4222-8222-222222222222'
// How tokens spell ids: `resourcegroups` in lower case (xms_mirid), the rest as created.
const mirid = (id: string) => id.replace('/resourceGroups/', '/resourcegroups/')
const T = 1_800_000_000

const systemToken: RevocableClaims = { oid: OID, iat: T, xms_mirid: mirid(VM) }
const userToken: RevocableClaims = { oid: OID, iat: T, xms_mirid: mirid(UAI), xms_az_rid: VM }
const appToken: RevocableClaims = { oid: OID, iat: T }
// Keys as the directory writes them: lower-cased.
const key = (id: string) => id.toLowerCase()

const cases: Array<[string, Revocation, RevocableClaims, boolean]> = [
  ['principal deleted: its app token', { at: T, oid: OID }, appToken, true],
  ['principal deleted: its identity token', { at: T, oid: OID }, userToken, true],
  ['another principal deleted', { at: T, oid: OTHER }, userToken, false],
  ['detached from the resource', { at: T, mirid: key(UAI), rid: key(VM) }, userToken, true],
  ['detached from another resource', { at: T, mirid: key(UAI), rid: key(VM2) }, userToken, false],
  ['another identity detached', { at: T, mirid: key(UAI) + 'x', rid: key(VM) }, userToken, false],
  [
    'detachment does not touch the system identity',
    { at: T, mirid: key(UAI), rid: key(VM) },
    systemToken,
    false,
  ],
  ['resource deleted: its system-assigned token', { at: T, rid: key(VM) }, systemToken, true],
  [
    'resource deleted: the user-assigned token it asked for',
    { at: T, rid: key(VM) },
    userToken,
    true,
  ],
  ['a resource whose name extends it', { at: T, rid: key(VM2) }, systemToken, false],
  ['a resource revocation does not touch app tokens', { at: T, rid: key(VM) }, appToken, false],
  ['revoked a second later: an older token', { at: T + 1, oid: OID }, appToken, true],
  ['revoked a second before: a newer token', { at: T - 1, oid: OID }, appToken, false],
  [
    'ids in the token in any casing',
    { at: T, rid: key(VM) },
    { oid: OID, iat: T, xms_mirid: VM.toUpperCase() },
    true,
  ],
  [
    'a doubled slash or a trailing one changes nothing',
    { at: T, rid: key(VM) },
    { oid: OID, iat: T, xms_mirid: `${VM.replace('/providers', '//providers')}/` },
    true,
  ],
  [
    'claims that are not strings are ignored',
    { at: T, rid: key(VM) },
    { oid: OID, iat: T, xms_mirid: 7, xms_az_rid: [VM] },
    false,
  ],
]

describe('which tokens a revocation covers', () => {
  for (const [name, revocation, claims, revoked] of cases) {
    it(`${name}: ${revoked ? 'revoked' : 'not revoked'}`, () => {
      const set = createRevocationSet()
      set.add(revocation)
      assert.equal(set.isRevoked(claims), revoked)
      const at = (k: string) => (k === revocationKey(revocation) ? revocation.at : undefined)
      assert.equal(isTokenRevoked(claims, at), revoked)
    })
  }

  it('keeps the latest time for a key and forgets what is older than the horizon', () => {
    const set = createRevocationSet()
    set.add({ at: T + 5, oid: OID })
    set.add({ at: T, oid: OID })
    assert.equal(set.isRevoked({ oid: OID, iat: T + 5 }), true)
    set.prune(T + 5)
    assert.equal(set.size, 1)
    set.prune(T + 6)
    assert.equal(set.size, 0)
    assert.equal(set.isRevoked({ oid: OID, iat: T }), false)
  })
})

describe('revocations read from the feed', () => {
  const rows: Array<[string, unknown, Revocation | undefined]> = [
    ['a principal', { at: T, oid: OID }, { at: T, oid: OID }],
    ['a first-version tombstone', { revokedAt: T, oid: OID }, { at: T, oid: OID }],
    ['a detachment', { at: T, mirid: UAI, rid: VM }, { at: T, mirid: UAI, rid: VM }],
    ['a resource', { at: T, rid: VM }, { at: T, rid: VM }],
    ['no time', { oid: OID }, undefined],
    ['a fractional time', { at: T + 0.5, oid: OID }, undefined],
    ['a time as a string', { at: String(T), oid: OID }, undefined],
    ['nothing named', { at: T }, undefined],
    ['an empty id', { at: T, rid: '' }, undefined],
    ['a mirid without its resource', { at: T, mirid: UAI }, undefined],
    ['an id too long', { at: T, rid: 'x'.repeat(2049) }, undefined],
    ['not an object', 'oid', undefined],
    ['null', null, undefined],
  ]
  for (const [name, value, expected] of rows) {
    it(`${name}: ${expected ? 'read' : 'ignored'}`, () => {
      assert.deepEqual(parseRevocation(value), expected)
    })
  }
})
