import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { callersToCheck, readAgentSignIns } from './agent-sign-ins.js'

const VM =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm'
const ok = {
  createdDateTime: '2026-12-08T01:00:00.000Z',
  correlationId: '11111111-2222-3333-4444-555555555555',
  protocol: 'imds',
  callerResourceId: VM,
  latencyMs: 0.2,
  status: { errorCode: 0 },
  process: { pid: 42, uid: 0, exe: '/usr/bin/node' },
  isCacheHit: true,
}
let n = 0
const read = (value: unknown[]) => readAgentSignIns({ value }, 'host-1', 500, () => `id-${++n}`)

describe('agent sign-in reports', () => {
  it('takes a good record and stamps id, source and host (never from the agent)', () => {
    const [r] = read([ok])
    assert.equal(r?.source, 'agent')
    assert.equal(r?.hostId, 'host-1')
    assert.match(r!.id, /^id-/)
    assert.deepEqual(r?.process, { pid: 42, uid: 0, exe: '/usr/bin/node' })
    assert.equal('managedServiceIdentity' in r!, false)
    assert.equal('requestCount' in r!, false)
    assert.equal(read([{ ...ok, requestCount: 40 }])[0]?.requestCount, 40)
  })

  it('refuses the whole batch for one bad field, naming it', () => {
    for (const bad of [
      { ...ok, source: 'server' },
      { ...ok, hostId: 'other' },
      { ...ok, protocol: 'oauth2/v2' },
      { ...ok, createdDateTime: 'yesterday' },
      { ...ok, correlationId: 'x' },
      { ...ok, latencyMs: -1 },
      { ...ok, status: { errorCode: 5 } },
      { ...ok, status: { errorCode: 0, failureReason: 'no' } },
      { ...ok, process: { pid: 1.5 } },
      { ...ok, callerResourceId: 'not-an-id' },
      { ...ok, managedServiceIdentity: { msiType: 'x', associatedResourceId: VM } },
      { ...ok, isCacheHit: 'yes' },
      { ...ok, requestCount: 0 },
      { ...ok, requestCount: 2.5 },
      { ...ok, requestCount: 1_000_001 },
      { ...ok, isCacheHit: false, requestCount: 3 },
    ]) {
      assert.throws(() => read([ok, bad]), { status: 400, code: 'InvalidRequestContent' })
    }
    assert.throws(() => read([]), { status: 400 })
    assert.throws(() => readAgentSignIns({ value: [ok], more: 1 }, 'h', 5, () => 'i'), {
      status: 400,
    })
    assert.throws(() => readAgentSignIns({ value: [ok, ok] }, 'h', 1, () => 'i'), { status: 400 })
  })

  it("checks every named caller except the server's own 'not here' refusals", () => {
    const refusedHere = { ...ok, status: { errorCode: 9_800_003, failureReason: 'not here' } }
    const callers = callersToCheck(
      read([ok, { ...ok, callerResourceId: VM.toUpperCase() }]),
      [9_800_003],
    )
    assert.deepEqual([...callers.keys()], [VM.toLowerCase()])
    assert.equal(callersToCheck(read([refusedHere]), [9_800_003]).size, 0)
  })
})
