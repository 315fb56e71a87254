import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hostIdsOf, hostView, isEventForHost } from './host-events.js'

const A = 'host-a'
const event = (kind: string, subject: string, data: Record<string, unknown> = {}) => ({
  kind,
  subject,
  data,
})

describe('isEventForHost', () => {
  const cases: Array<[string, ReturnType<typeof event>, boolean]> = [
    ['its own revocation', event('host.revoked', 'HOST-A'), true],
    ["another host's revocation", event('host.revoked', 'host-b'), false],
    ['its own enrollment', event('host.enrolled', A), true],
    ['a deletion of its resource', event('resource.deleted', '/r', { hostIds: [A] }), true],
    ['a resource created on it', event('resource.created', '/r', { hostIds: [A] }), true],
    [
      'a resource created on another',
      event('resource.created', '/r', { hostIds: ['host-b'] }),
      false,
    ],
    ['a move away from it', event('resource.updated', '/r', { hostIds: ['host-b', A] }), true],
    ["another host's resource", event('resource.deleted', '/r', { hostIds: ['host-b'] }), false],
    ['a resource on no host', event('resource.deleted', '/r', { hostIds: [] }), false],
    ['an event written before hostIds', event('principal.deleted', 'p', {}), false],
    ['a role assignment deletion', event('roleAssignment.deleted', 'n', { hostIds: [A] }), false],
    ['a resource group event', event('resourceGroup.created', '/g'), false],
    ['a principal creation', event('principal.created', 'p', { hostIds: [A] }), false],
  ]
  for (const [what, e, want] of cases) {
    it(`${want ? 'sends' : 'withholds'} ${what}`, () => assert.equal(isEventForHost(e, A), want))
  }
  it('sends the local host the events of resources that name no host, and only it', () => {
    const local = event('resource.updated', '/r', { hostIds: [] })
    assert.equal(isEventForHost(local, A, true), true)
    assert.equal(isEventForHost(local, A), false)
    assert.equal(
      isEventForHost(event('resource.updated', '/r', { hostIds: ['host-b'] }), A, true),
      false,
    )
    assert.equal(isEventForHost(event('resource.updated', '/r'), A, true), false)
  })
})

describe('hostIdsOf and hostView', () => {
  it('lists each host once, lower-cased, without nulls', () => {
    assert.deepEqual(hostIdsOf('Host-A', null, 'host-a', undefined, 'h2'), ['host-a', 'h2'])
  })
  it('hides the other hosts from what a host is sent', () => {
    assert.deepEqual(hostView({ type: 'x', hostIds: ['a', 'b'] }), { type: 'x' })
  })
})
