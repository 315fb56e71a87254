import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKeylessError } from './errors.js'
import { machineHostAfterWrite, machineId, machineNameOf, parseMachineGroup } from './machines.js'
import { validateResourceName } from './names.js'

const H1 = '11111111-1111-4111-8111-111111111111'
const H2 = '22222222-2222-4222-8222-222222222222'

function refusal(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    if (isKeylessError(e)) return `${e.status} ${e.code}`
    throw e
  }
  return 'allowed'
}

describe('machines', () => {
  it('names a machine after its host, within the Arc naming rule', () => {
    const cases: Array<[string, string]> = [
      ['edge-01', 'edge-01'],
      ['edge 02!', 'edge-02'],
      ['web.example.com', 'web.example.com'],
      ['-lead.trail-.', 'lead.trail'],
      ['x'.repeat(80), 'x'.repeat(54)],
      ['ünïcode', 'n-code'],
      ['!!!', 'host'],
    ]
    for (const [host, want] of cases) {
      assert.equal(machineNameOf(host), want, host)
      validateResourceName('Microsoft.HybridCompute/machines', want)
    }
  })

  it('takes only a resource group id as the place of a machine', () => {
    const ok = parseMachineGroup('/subscriptions/s1/resourceGroups/rg')
    assert.equal(
      machineId(ok, 'm').id,
      '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m',
    )
    for (const bad of [
      undefined,
      7,
      '',
      '/subscriptions/s1',
      '/subscriptions/s1/resourceGroups/rg/providers/A.B/c/d',
      'rg',
    ]) {
      assert.equal(
        refusal(() => parseMachineGroup(bad)),
        '400 InvalidResourceGroupId',
        String(bad),
      )
    }
  })

  it('lets only enrollment create a machine, keeps it on its host and keeps its identity', () => {
    const cases: Array<[string, Parameters<typeof machineHostAfterWrite>[0], string]> = [
      [
        'enrollment creates',
        {
          existingHostId: undefined,
          requestedHostId: H1,
          enrollingHostId: H1,
          removesSystemIdentity: false,
        },
        H1,
      ],
      [
        'PUT cannot create',
        { existingHostId: undefined, requestedHostId: H1, removesSystemIdentity: false },
        '400 InvalidMachineOperation',
      ],
      [
        'absent host keeps it',
        { existingHostId: H1, requestedHostId: undefined, removesSystemIdentity: false },
        H1,
      ],
      [
        'same host, any case',
        { existingHostId: H1, requestedHostId: H1.toUpperCase(), removesSystemIdentity: false },
        H1,
      ],
      [
        'another host',
        { existingHostId: H1, requestedHostId: H2, removesSystemIdentity: false },
        '400 InvalidHostId',
      ],
      [
        'null keeps it',
        { existingHostId: H1, requestedHostId: null, removesSystemIdentity: false },
        H1,
      ],
      [
        'identity removed',
        { existingHostId: H1, requestedHostId: undefined, removesSystemIdentity: true },
        '400 InvalidIdentityType',
      ],
    ]
    for (const [name, write, want] of cases) {
      let got: string
      try {
        got = machineHostAfterWrite(write)
      } catch (e) {
        got = isKeylessError(e) ? `${e.status} ${e.code}` : String(e)
      }
      assert.equal(got, want, name)
    }
  })
})
