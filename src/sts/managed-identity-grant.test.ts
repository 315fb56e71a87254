// The managed-identity grant's decisions, one row each: which host may ask for which compute
// resource, which identity a selector picks, and the OAuth error of every refusal. The
// directory is an in-memory DirectoryReads (the grant's only input besides the request), so
// each row states exactly the rows the grant sees.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AgentErrorCodes } from '../common/agent-protocol.js'
import type { KeylessError } from '../domain/errors.js'
import type {
  HostRow,
  IdentityAttachmentRow,
  ResourceRow,
  ServicePrincipalRow,
} from '../store/schema.js'
import type { DirectoryReads } from './directory-view.js'
import { createManagedIdentityGrant } from './managed-identity-grant.js'
import type { TokenRequest } from './token-request.js'

const SUB = '/subscriptions/00000000-0000-0000-0000-00000000000a'
const RG = `${SUB}/resourceGroups/Apps`
const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/Web1`
const BARE_VM = `${RG}/providers/Microsoft.Compute/virtualMachines/bare`
const LOCAL_VM = `${RG}/providers/Microsoft.Compute/virtualMachines/local`
const TWO_VM = `${RG}/providers/Microsoft.Compute/virtualMachines/two`
const EMPTY_VM = `${RG}/providers/Microsoft.Compute/virtualMachines/empty`
const UAI = (n: string) => `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`
const HOST = 'host-1'
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

const resource = (id: string, type: string, host_id: string | null): ResourceRow =>
  ({ key: id.toLowerCase(), id, type, type_key: type.toLowerCase(), host_id }) as ResourceRow
const principal = (n: number, kind: string, owner: string): ServicePrincipalRow =>
  ({
    object_id: guid(n),
    app_id: guid(100 + n),
    identity_kind: kind,
    resource_key: owner.toLowerCase(),
  }) as ServicePrincipalRow

const VM_TYPE = 'Microsoft.Compute/virtualMachines'
const UAI_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities'
const resources = [
  resource(VM, VM_TYPE, HOST),
  resource(BARE_VM, VM_TYPE, HOST),
  resource(LOCAL_VM, VM_TYPE, null),
  resource(TWO_VM, VM_TYPE, HOST),
  resource(EMPTY_VM, VM_TYPE, HOST),
  resource(UAI('a'), UAI_TYPE, null),
  resource(UAI('b'), UAI_TYPE, null),
  resource(UAI('lone'), UAI_TYPE, null),
  resource(UAI('unattached'), UAI_TYPE, null),
]
const principals = [
  principal(1, 'SystemAssigned', VM),
  principal(2, 'UserAssigned', UAI('a')),
  principal(3, 'UserAssigned', UAI('b')),
  principal(4, 'UserAssigned', UAI('lone')),
  principal(5, 'UserAssigned', UAI('unattached')),
]
const attachments: IdentityAttachmentRow[] = [
  {
    resource_key: VM.toLowerCase(),
    identity_key: UAI('a').toLowerCase(),
    created_at: 0,
    selectors: null,
  },
  {
    resource_key: VM.toLowerCase(),
    identity_key: UAI('b').toLowerCase(),
    created_at: 0,
    selectors: null,
  },
  {
    resource_key: BARE_VM.toLowerCase(),
    identity_key: UAI('lone').toLowerCase(),
    created_at: 0,
    selectors: null,
  },
  {
    resource_key: TWO_VM.toLowerCase(),
    identity_key: UAI('a').toLowerCase(),
    created_at: 0,
    selectors: null,
  },
  {
    resource_key: LOCAL_VM.toLowerCase(),
    identity_key: UAI('a').toLowerCase(),
    created_at: 0,
    selectors: null,
  },
  {
    resource_key: TWO_VM.toLowerCase(),
    identity_key: UAI('b').toLowerCase(),
    created_at: 0,
    selectors: '{"uid":[1000]}',
  },
]

function reads(localHost?: string): DirectoryReads {
  return {
    host: async () => undefined,
    localHost: async () => (localHost ? ({ id: localHost } as HostRow) : undefined),
    resource: async (key) => resources.find((r) => r.key === key),
    principalOf: async (key) => principals.find((p) => p.resource_key === key),
    attachmentsOf: async (key) => attachments.filter((a) => a.resource_key === key),
  }
}

const request = (params: Record<string, string | string[]>): TokenRequest => ({
  clientId: HOST,
  resource: 'https://vault.azure.net',
  version: 'v2',
  params: Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
  ),
})

const grant = createManagedIdentityGrant({ lifetimeMs: 3_600_000 })
const run = (params: Record<string, string | string[]>, host = HOST, localHost?: string) =>
  grant(request(params), { id: host } as HostRow, reads(localHost))

describe('managed-identity grant: which identity is issued', () => {
  const rows: [string, Record<string, string>, number, string][] = [
    ['no selector picks the system-assigned identity', {}, 1, VM],
    ['mi_client_id of a user-assigned identity', { mi_client_id: guid(103) }, 3, UAI('b')],
    [
      'mi_client_id is compared case-insensitively',
      { mi_client_id: guid(102).toUpperCase() },
      2,
      UAI('a'),
    ],
    ['mi_object_id of a user-assigned identity', { mi_object_id: guid(2) }, 2, UAI('a')],
    ['mi_object_id of the system identity', { mi_object_id: guid(1) }, 1, VM],
    ['mi_client_id of the system identity', { mi_client_id: guid(101) }, 1, VM],
    ['mi_res_id, in any casing', { mi_res_id: UAI('B').toUpperCase() }, 3, UAI('b')],
    ['an empty selector counts as none', { mi_client_id: '' }, 1, VM],
  ]
  for (const [name, params, n, msiResId] of rows) {
    it(name, async () => {
      const g = await run({ xms_az_rid: VM, ...params })
      assert.equal(g.subject.objectId, guid(n))
      assert.equal(g.subject.appId, guid(100 + n))
      assert.equal(g.subject.appidacr, '2')
      assert.equal(g.lifetimeMs, 3_600_000)
      assert.deepEqual(g.response, {
        client_id: guid(100 + n),
        object_id: guid(n),
        msi_res_id: msiResId,
      })
      // A user-assigned identity's token names it (mirid) and the resource using it (azRid).
      const user = msiResId !== VM
      assert.equal(g.subject.azRid, user ? VM : undefined)
      assert.equal(g.subject.mirid, msiResId.replace('/resourceGroups/', '/resourcegroups/'))
    })
  }

  it("sends the chosen attachment's process selectors, and none for one without", async () => {
    const b = await run({ xms_az_rid: TWO_VM, mi_res_id: UAI('b') })
    assert.equal(b.response?.keyless_selectors, '{"uid":[1000]}')
    const a = await run({ xms_az_rid: TWO_VM, mi_res_id: UAI('a') })
    assert.equal(a.response?.keyless_selectors, undefined)
  })

  it('picks the only user-assigned identity of a resource without a system one', async () => {
    const g = await run({ xms_az_rid: BARE_VM })
    assert.equal(g.subject.objectId, guid(4))
    assert.equal(g.response?.msi_res_id, UAI('lone'))
  })

  it("lets the local agent's host ask for a resource that names no host", async () => {
    const g = await run({ xms_az_rid: LOCAL_VM, mi_res_id: UAI('a') }, 'local', 'local')
    assert.equal(g.subject.objectId, guid(2))
  })
})

describe('managed-identity grant: refusals', () => {
  const rows: [string, () => Promise<unknown>, number, string, number, RegExp][] = [
    ['without xms_az_rid', () => run({}), 400, 'invalid_request', 900144, /xms_az_rid/],
    [
      'with two xms_az_rid',
      () => run({ xms_az_rid: [VM, VM] }),
      400,
      'invalid_request',
      9000411,
      /duplicated/,
    ],
    [
      'a caller that is no resource id',
      () => run({ xms_az_rid: 'vm1' }),
      400,
      'invalid_request',
      AgentErrorCodes.callerNotFound,
      /'vm1' is not a resource id/,
    ],
    [
      'a caller that does not exist',
      () => run({ xms_az_rid: `${VM}x` }),
      400,
      'invalid_request',
      AgentErrorCodes.callerNotFound,
      /does not exist/,
    ],
    [
      'a caller that is not compute',
      () => run({ xms_az_rid: UAI('a') }),
      400,
      'invalid_request',
      AgentErrorCodes.callerNotFound,
      /does not exist/,
    ],
    [
      'a resource of another host',
      () => run({ xms_az_rid: VM }, 'host-2'),
      400,
      'unauthorized_client',
      AgentErrorCodes.notHostedHere,
      /Host 'host-2' does not host/,
    ],
    [
      'a resource naming no host, without a local agent',
      () => run({ xms_az_rid: LOCAL_VM }, 'local'),
      400,
      'unauthorized_client',
      AgentErrorCodes.notHostedHere,
      /does not host/,
    ],
    [
      'a resource naming no host, from another host than the local one',
      () => run({ xms_az_rid: LOCAL_VM }, HOST, 'local'),
      400,
      'unauthorized_client',
      AgentErrorCodes.notHostedHere,
      /does not host/,
    ],
    [
      'two selectors',
      () => run({ xms_az_rid: VM, mi_client_id: guid(102), mi_object_id: guid(2) }),
      400,
      'invalid_request',
      900144,
      /At most one identity selector/,
    ],
    [
      'mi_res_id of an identity not attached to the caller',
      () => run({ xms_az_rid: VM, mi_res_id: UAI('unattached') }),
      400,
      'invalid_request',
      AgentErrorCodes.identityNotFound,
      /No matching identity is attached/,
    ],
    [
      'mi_client_id of an identity not attached to the caller',
      () => run({ xms_az_rid: VM, mi_client_id: guid(105) }),
      400,
      'invalid_request',
      AgentErrorCodes.identityNotFound,
      /No matching identity/,
    ],
    [
      'mi_res_id that is no resource id',
      () => run({ xms_az_rid: VM, mi_res_id: 'nonsense' }),
      400,
      'invalid_request',
      AgentErrorCodes.identityNotFound,
      /No matching identity/,
    ],
    [
      'no selector, no system identity and two user-assigned ones',
      () => run({ xms_az_rid: TWO_VM }),
      400,
      'invalid_request',
      AgentErrorCodes.identityNotFound,
      /No matching identity/,
    ],
    [
      'no selector and no identity at all',
      () => run({ xms_az_rid: EMPTY_VM }),
      400,
      'invalid_request',
      AgentErrorCodes.identityNotFound,
      /No matching identity is attached to/,
    ],
    [
      'mi_res_id of the caller itself (not a user-assigned identity)',
      () => run({ xms_az_rid: VM, mi_res_id: VM }),
      400,
      'invalid_request',
      AgentErrorCodes.identityNotFound,
      /No matching identity/,
    ],
    [
      'mi_client_id of another resource’s system identity',
      () => run({ xms_az_rid: BARE_VM, mi_client_id: guid(101) }),
      400,
      'invalid_request',
      AgentErrorCodes.identityNotFound,
      /No matching identity/,
    ],
  ]
  for (const [name, call, status, code, aadsts, message] of rows) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(call(), (e: KeylessError) => {
        assert.equal(e.status, status)
        assert.equal(e.code, code)
        assert.equal(e.extra?.aadsts, aadsts)
        assert.match(e.message, message)
        return true
      })
    })
  }
})
