// A seeded stream of lifecycle operations against a running `keyless up` (VMs and web apps with
// system-assigned identities, user-assigned identities attached and detached, role assignments,
// vault secrets, blob uploads) and a model of what every acknowledged one left behind, checked
// over the API after a crash and restart. The fault tests (kill -9, PostgreSQL restart, disk
// full) drive it; an operation in flight when the fault struck may have happened or not, but
// never half.
import { randomUUID } from 'node:crypto'
import { seededRandom } from '../../../src/domain/fault-plan.js'
import type { KeylessProcess } from '../../helpers/keyless.js'
import { arm, type ArmCall } from '../../helpers/arm.js'
import { appToken, operatorToken } from '../../helpers/tokens.js'
import { https, type HttpResult } from '../../helpers/https.js'

const BLOB_VERSION = '2026-04-06'
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
const SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
const BLOB_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
const API: Record<string, string> = {
  'Microsoft.Compute/virtualMachines': '2024-07-01',
  'Microsoft.Web/sites': '2024-04-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2023-01-31',
}

/** mulberry32 (domain/fault-plan.ts): small, seedable, good enough to pick operations. */
export const rng = seededRandom

export interface Fixture {
  rg: string
  vaultUri: string
  account: string
  container: string
  identities: { id: string; principalId: string }[]
}

/** What the acknowledged operations promise; `undefined` entries were in flight at a fault. */
export interface Model {
  resources: Map<string, boolean | undefined>
  attachments: Map<string, Map<string, boolean | undefined>>
  assignments: Map<string, boolean | undefined>
  secrets: Map<string, string | undefined>
  blobs: Map<string, string | undefined>
}

export function emptyModel(): Model {
  return {
    resources: new Map(),
    attachments: new Map(),
    assignments: new Map(),
    secrets: new Map(),
    blobs: new Map(),
  }
}

const ok = (r: HttpResult) => r.status >= 200 && r.status < 300

export interface Session {
  call: ArmCall
  vaultToken: string
  storageToken: string
  k: KeylessProcess
}

export async function session(k: KeylessProcess): Promise<Session> {
  return {
    k,
    call: arm(k, await operatorToken(k)),
    vaultToken: await appToken(k, 'https://vault.azure.net'),
    storageToken: await appToken(k, 'https://storage.azure.com'),
  }
}

function oidOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid as string
}

export async function setUp(s: Session): Promise<Fixture> {
  const sub = `/subscriptions/${s.k.endpoints.subscriptionId}`
  const rg = `${sub}/resourceGroups/faults`
  const must = async (r: Promise<HttpResult>, what: string) => {
    const res = await r
    if (!ok(res)) throw new Error(`${what}: ${res.status} ${res.text}`)
    return res
  }
  await must(s.call('PUT', `${rg}?api-version=2021-04-01`, { location: 'local' }), 'group')
  const me = oidOf(s.vaultToken)
  for (const role of [SECRETS_OFFICER, BLOB_CONTRIBUTOR]) {
    const id = `${sub}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
    await must(
      s.call('PUT', `${id}?api-version=2022-04-01`, {
        properties: {
          roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
          principalId: me,
          principalType: 'ServicePrincipal',
        },
      }),
      'data role',
    )
  }
  const vault = await must(
    s.call(
      'PUT',
      `${rg}/providers/Microsoft.KeyVault/vaults/kvf${randomUUID().slice(0, 8)}?api-version=2023-07-01`,
      {
        location: 'local',
        properties: {
          tenantId: s.k.endpoints.tenantId,
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: true,
        },
      },
    ),
    'vault',
  )
  const account = `stf${randomUUID().replace(/-/g, '').slice(0, 12)}`
  await must(
    s.call(
      'PUT',
      `${rg}/providers/Microsoft.Storage/storageAccounts/${account}?api-version=2023-05-01`,
      {
        location: 'local',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
      },
    ),
    'account',
  )
  const container = 'faults'
  await must(blob(s, 'PUT', `${account}/${container}?restype=container`), 'container')
  const identities = []
  for (let i = 0; i < 3; i++) {
    const id = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami${i}`
    const r = await must(
      s.call('PUT', `${id}?api-version=2023-01-31`, { location: 'local' }),
      'uami',
    )
    identities.push({
      id: r.json().id as string,
      principalId: r.json().properties.principalId as string,
    })
  }
  return {
    rg,
    // By address: the test process is not under `keyless run`, where vault names resolve.
    vaultUri: (vault.json().properties.vaultUriByAddress ??
      vault.json().properties.vaultUri) as string,
    account,
    container,
    identities,
  }
}

function blob(s: Session, method: string, path: string, body?: string): Promise<HttpResult> {
  return https(`${s.k.endpoints.blobEndpoint}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${s.storageToken}`,
      'x-ms-version': BLOB_VERSION,
      ...(body !== undefined && {
        'x-ms-blob-type': 'BlockBlob',
        'content-type': 'text/plain',
        'content-length': String(Buffer.byteLength(body)),
      }),
    },
    body,
    ca: s.k.ca,
  })
}

function secret(s: Session, fx: Fixture, method: string, name: string, value?: string) {
  return https(`${fx.vaultUri.replace(/\/$/, '')}/secrets/${name}?api-version=7.5`, {
    method,
    headers: {
      authorization: `Bearer ${s.vaultToken}`,
      ...(value !== undefined && { 'content-type': 'application/json' }),
    },
    body: value === undefined ? undefined : JSON.stringify({ value }),
    ca: s.k.ca,
  })
}

export interface Operation {
  name: string
  /** Sends the request; resolves with the answer (the caller records it on success). */
  send(): Promise<HttpResult>
  /** What a success promises, applied to the model (`undefined`: the outcome is unknown). */
  record(model: Model, acknowledged: boolean | undefined): void
}

function forgetAttachments(m: Model, id: string, acked: boolean | undefined): void {
  if (acked === true) m.attachments.delete(id)
  if (acked === undefined)
    for (const ua of m.attachments.get(id)?.keys() ?? []) m.attachments.get(id)!.set(ua, undefined)
}

/** The i-th operation of a seeded stream. */
export function nextOperation(
  s: Session,
  fx: Fixture,
  model: Model,
  pick: () => number,
  i: number,
): Operation {
  const n = (k: number) => Math.floor(pick() * k)
  const compute = ['Microsoft.Compute/virtualMachines', 'Microsoft.Web/sites'][n(2)]!
  const id = `${fx.rg}/providers/${compute}/c${n(12)}`
  const url = `${id}?api-version=${API[compute]}`
  const set = <K, V>(m: Map<K, V | undefined>, key: K, value: V, acked: boolean | undefined) => {
    if (acked === false) return
    m.set(key, acked === undefined ? undefined : value)
  }
  const choice = n(8)
  if (choice === 0 || choice === 1) {
    return {
      name: `create ${id}`,
      send: () => s.call('PUT', url, { location: 'local', identity: { type: 'SystemAssigned' } }),
      // A PUT replaces the identity: user-assigned ones it does not name are detached.
      record: (m, acked) => {
        set(m.resources, id, true, acked)
        forgetAttachments(m, id, acked)
      },
    }
  }
  if (choice === 2) {
    return {
      name: `delete ${id}`,
      send: () => s.call('DELETE', url),
      record: (m, acked) => {
        set(m.resources, id, false, acked)
        forgetAttachments(m, id, acked)
      },
    }
  }
  const ua = fx.identities[n(fx.identities.length)]!
  if (choice === 3 || choice === 4) {
    const attach = choice === 3
    const current = [...(model.attachments.get(id) ?? new Map<string, boolean | undefined>())]
      .filter(([, v]) => v === true)
      .map(([k]) => k)
    return {
      name: `${attach ? 'attach' : 'detach'} ${ua.id} on ${id}`,
      send: () =>
        s.call('PATCH', url, {
          identity: {
            type:
              attach || current.some((c) => c !== ua.id)
                ? 'SystemAssigned, UserAssigned'
                : 'SystemAssigned',
            userAssignedIdentities: { [ua.id]: attach ? {} : null },
          },
        }),
      record: (m, acked) => {
        if (acked === false) return
        const of = m.attachments.get(id) ?? new Map<string, boolean | undefined>()
        of.set(ua.id, acked === undefined ? undefined : attach)
        m.attachments.set(id, of)
      },
    }
  }
  if (choice === 5) {
    const known = [...model.assignments].filter(([, v]) => v === true).map(([k]) => k)
    if (known.length > 0 && n(2) === 0) {
      const ra = known[n(known.length)]!
      return {
        name: `unassign ${ra}`,
        send: () => s.call('DELETE', `${ra}?api-version=2022-04-01`),
        record: (m, acked) => set(m.assignments, ra, false, acked),
      }
    }
    const ra = `${fx.rg}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
    const sub = `/subscriptions/${s.k.endpoints.subscriptionId}`
    return {
      name: `assign ${ra}`,
      send: () =>
        s.call('PUT', `${ra}?api-version=2022-04-01`, {
          properties: {
            roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
            principalId: ua.principalId,
            principalType: 'ServicePrincipal',
          },
        }),
      record: (m, acked) => set(m.assignments, ra, true, acked),
    }
  }
  if (choice === 6) {
    const name = `s${n(10)}`
    const value = `v${i}-${randomUUID()}`
    return {
      name: `secret ${name}`,
      send: () => secret(s, fx, 'PUT', name, value),
      record: (m, acked) => set(m.secrets, name, value, acked),
    }
  }
  const name = `b${n(10)}.txt`
  const content = `blob ${i} ${randomUUID()}`.repeat(1 + n(50))
  return {
    name: `upload ${name}`,
    send: () => blob(s, 'PUT', `${fx.account}/${fx.container}/${name}`, content),
    record: (m, acked) => set(m.blobs, name, content, acked),
  }
}

/** Every acknowledged outcome, read back over the API; the list of those that are not so. */
export async function missingFromApi(s: Session, fx: Fixture, model: Model): Promise<string[]> {
  const wrong: string[] = []
  for (const [id, present] of model.resources) {
    if (present === undefined) continue
    const type = Object.keys(API).find((t) => id.includes(`/${t}/`))!
    const r = await s.call('GET', `${id}?api-version=${API[type]}`)
    if ((r.status === 200) !== present)
      wrong.push(`${id}: expected ${present ? 'present' : 'absent'}, got ${r.status}`)
    if (present && r.status === 200) {
      const attached = Object.keys(r.json().identity?.userAssignedIdentities ?? {}).map((k) =>
        k.toLowerCase(),
      )
      for (const [ua, on] of model.attachments.get(id) ?? []) {
        if (on === undefined) continue
        if (attached.includes(ua.toLowerCase()) !== on)
          wrong.push(`${id}: ${ua} expected ${on ? 'attached' : 'detached'}`)
      }
    }
  }
  for (const [ra, present] of model.assignments) {
    if (present === undefined) continue
    const r = await s.call('GET', `${ra}?api-version=2022-04-01`)
    if ((r.status === 200) !== present)
      wrong.push(`${ra}: expected ${present ? 'present' : 'absent'}, got ${r.status}`)
  }
  for (const [name, value] of model.secrets) {
    if (value === undefined) continue
    const r = await secret(s, fx, 'GET', name)
    if (r.status !== 200 || r.json().value !== value) wrong.push(`secret ${name}: ${r.status}`)
  }
  for (const [name, content] of model.blobs) {
    if (content === undefined) continue
    const r = await blob(s, 'GET', `${fx.account}/${fx.container}/${name}`)
    if (r.status !== 200 || r.text !== content) wrong.push(`blob ${name}: ${r.status}`)
  }
  return wrong
}
