// Agent hosts: enrolled once with a one-time join token, holding a short-lived certificate from
// the Keyless CA that they renew, revocable by the operator. Join tokens are stored as digests
// and consumed in the same transaction that creates the host, so one token makes one host.
// A token that names a resource group also creates the host's Microsoft.HybridCompute/machines
// resource with its system-assigned identity, in that transaction (domain/machines.ts).
import { createHash, createPublicKey, randomBytes, randomUUID, X509Certificate } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import { BadRequest, Conflict, NotFound, Unauthenticated } from '../domain/errors.js'
import { machineId, machineNameOf, MACHINES_KEY } from '../domain/machines.js'
import { isNamespaceName, NETWORK_NAMESPACE_PROPERTY } from '../domain/network-namespace.js'
import { parseResourceId, type ResourceId } from '../domain/resource-id.js'
import type { HostRow, JoinTokenRow } from '../store/schema.js'
import type { Repositories, Store } from '../store/store.js'
import type { ChangeContext } from './change-context.js'
import { recordChange } from './events.js'
import { revokeHostRow } from './host-revocation.js'
import { groupKey, groupNotFound } from './resource-groups.js'
import { deleteResourceRow, putResource } from './resources.js'

export interface HostView {
  id: string
  name: string
  state: 'active' | 'revoked'
  isLocal: boolean
  certificateNotAfter: number
  /** Subject of the CA that signed the current certificate (unknown for older ones). */
  certificateIssuer?: string
  createdAt: number
  renewedAt: number | null
  revokedAt: number | null
  /** ARM id of the host's Microsoft.HybridCompute/machines resource, if it has one. */
  machineId?: string
}

/** Where a join token's host appears in ARM. */
export interface MachinePlacement {
  /** The resource group, `/subscriptions/<s>/resourceGroups/<g>`. */
  group: ResourceId
  /** Default: the group's location. */
  location?: string
}

export interface IssuedHostCredential {
  host: HostView
  certificate: string
}

export interface HostRegistryOptions {
  store: Store
  clock: Clock
  tenantId: string
  /** Signs a client certificate for `publicKeyPem` with CN = `hostId`, valid for `lifetimeMs`. */
  issueCertificate: (hostId: string, publicKeyPem: string, lifetimeMs: number) => Promise<string>
  certificateLifetimeMs: number
  joinTokenLifetimeMs: number
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex')

export function hostView(row: HostRow, machine?: string): HostView {
  return {
    id: row.id,
    name: row.name,
    state: row.state === 'revoked' ? 'revoked' : 'active',
    isLocal: row.is_local === 1,
    certificateNotAfter: row.cert_not_after,
    ...(row.cert_issuer ? { certificateIssuer: row.cert_issuer } : {}),
    createdAt: row.created_at,
    renewedAt: row.renewed_at,
    revokedAt: row.revoked_at,
    ...(machine ? { machineId: machine } : {}),
  }
}

async function machineOf(tx: Repositories, hostId: string) {
  const page = await tx.resources.list({ hostId, typeKey: MACHINES_KEY }, { limit: 1 })
  return page.items[0]
}

/** The group a token names, as it is now: NotFound when it is gone. */
async function existingGroup(tx: Repositories, group: ResourceId) {
  const row = await tx.resourceGroups.fetch(groupKey(group.subscriptionId, group.resourceGroup!))
  if (!row) throw groupNotFound(group.resourceGroup!)
  return row
}

/** Creates the machine of a host being enrolled; Conflict if the name is taken in the group. */
async function createMachine(ctx: ChangeContext, token: JoinTokenRow, host: HostRow) {
  const named = parseResourceId(token.machine_group_id!)
  // The group's id as ARM stores it, whatever casing the token's creator typed.
  const group = parseResourceId((await existingGroup(ctx.tx, named)).id)
  const id = machineId(group, machineNameOf(host.name))
  if (await ctx.tx.resources.fetch(id.key)) {
    throw new Conflict(
      'MachineAlreadyExists',
      `a machine named '${id.name}' already exists in resource group '${group.resourceGroup}': enroll with another host name, or delete that machine first`,
      { target: 'name' },
    )
  }
  const { row } = await putResource(
    ctx,
    id,
    {
      location: token.machine_location!,
      properties: { hostId: host.id },
      identity: { type: 'SystemAssigned' },
    },
    host.id,
  )
  return row.id
}

/** Host keys are ECDSA P-256, the one algorithm host assertions may use. */
function assertHostKey(publicKeyPem: string): void {
  let ok = false
  try {
    const key = createPublicKey(publicKeyPem)
    ok = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  } catch {
    ok = false
  }
  if (!ok)
    throw new BadRequest(
      'InvalidPublicKey',
      'publicKey must be an ECDSA P-256 public key in SPKI PEM',
    )
}

const invalidJoinToken = () =>
  new Unauthenticated('InvalidJoinToken', 'the join token is unknown, expired or already used')

export function createHostRegistry(o: HostRegistryOptions) {
  const { store, clock } = o
  const certFacts = (pem: string) => {
    const c = new X509Certificate(pem)
    return { serial: c.serialNumber, issuer: c.issuer, notAfter: Date.parse(c.validTo) }
  }

  return {
    async createJoinToken(options: { isLocal?: boolean; machine?: MachinePlacement } = {}) {
      const token = `kjt~${randomBytes(32).toString('base64url')}`
      const now = clock.now()
      const expiresAt = now + o.joinTokenLifetimeMs
      const machine = options.machine
      await store.transaction(async (tx) => {
        const group = machine ? await existingGroup(tx, machine.group) : undefined
        await tx.joinTokens.prune(now)
        await tx.joinTokens.create({
          id: randomUUID(),
          token_hash: digest(token),
          is_local: options.isLocal ? 1 : 0,
          created_at: now,
          expires_at: expiresAt,
          used_at: null,
          host_id: null,
          machine_group_id: machine?.group.id ?? null,
          machine_location: group ? (machine!.location ?? group.location) : null,
        })
      })
      return { token, expiresAt, ...(machine ? { resourceGroupId: machine.group.id } : {}) }
    },

    async enroll(
      joinToken: string,
      name: string,
      publicKeyPem: string,
    ): Promise<IssuedHostCredential> {
      assertHostKey(publicKeyPem)
      // The token first: nothing is signed for a caller who cannot enroll. It is checked again,
      // and consumed, in the transaction that creates the host.
      const usable = (t: JoinTokenRow | undefined, now: number): t is JoinTokenRow =>
        t !== undefined && t.used_at === null && t.expires_at > now
      if (!usable(await store.joinTokens.fetchByHash(digest(joinToken)), clock.now())) {
        throw invalidJoinToken()
      }
      const hostId = randomUUID()
      const certificate = await o.issueCertificate(hostId, publicKeyPem, o.certificateLifetimeMs)
      const { serial, issuer, notAfter } = certFacts(certificate)
      return store.transaction(async (tx) => {
        const now = clock.now()
        const token = await tx.joinTokens.fetchByHash(digest(joinToken))
        if (!usable(token, now)) throw invalidJoinToken()
        if (!(await tx.joinTokens.consume(token.id, now, hostId))) throw invalidJoinToken()
        const row: HostRow = {
          id: hostId,
          name: name.slice(0, 256),
          state: 'active',
          is_local: token.is_local,
          cert_serial: serial,
          cert_issuer: issuer,
          cert_not_after: notAfter,
          created_at: now,
          renewed_at: null,
          revoked_at: null,
        }
        await tx.hosts.create(row)
        const machine = token.machine_group_id
          ? await createMachine({ tx, tenantId: o.tenantId, now }, token, row)
          : undefined
        await recordChange(tx, now, 'host.enrolled', hostId, {
          name: row.name,
          isLocal: row.is_local === 1,
          ...(machine ? { machineId: machine } : {}),
        })
        return { host: hostView(row, machine), certificate }
      })
    },

    async renew(hostId: string, publicKeyPem: string): Promise<IssuedHostCredential> {
      assertHostKey(publicKeyPem)
      const certificate = await o.issueCertificate(hostId, publicKeyPem, o.certificateLifetimeMs)
      const { serial, issuer, notAfter } = certFacts(certificate)
      return store.transaction(async (tx) => {
        const now = clock.now()
        const host = await tx.hosts.fetch(hostId)
        if (!host || host.state !== 'active')
          throw new Unauthenticated('HostRevoked', 'the host is revoked')
        await tx.hosts.update(hostId, {
          cert_serial: serial,
          cert_issuer: issuer,
          cert_not_after: notAfter,
          renewed_at: now,
        })
        await recordChange(tx, now, 'host.renewed', hostId, { notAfter })
        return { host: hostView((await tx.hosts.fetch(hostId))!), certificate }
      })
    },

    /** Revokes the host and deletes its machine resource, as `azcmagent disconnect` does. */
    async revoke(hostId: string): Promise<HostView> {
      return store.transaction(async (tx) => {
        const host = await tx.hosts.fetch(hostId)
        if (!host) throw new NotFound('HostNotFound', `host '${hostId}' does not exist`)
        if (host.state === 'revoked') return hostView(host)
        const ctx = { tx, tenantId: o.tenantId, now: clock.now() }
        await revokeHostRow(ctx, hostId)
        const machine = await machineOf(tx, hostId)
        if (machine) await deleteResourceRow(ctx, machine)
        return hostView((await tx.hosts.fetch(hostId))!)
      })
    },

    /** ARM id of an active host's machine: the scope that decides who may place resources on
     * the host (arm/host-placement.ts). Undefined for an unknown or revoked host, or one
     * enrolled without a machine. */
    async machineIdOf(hostId: string): Promise<string | undefined> {
      const host = await store.hosts.fetch(hostId.toLowerCase())
      if (!host || host.state === 'revoked') return undefined
      return (await machineOf(store, host.id))?.id
    },

    async list(): Promise<HostView[]> {
      const machines = new Map<string, string>()
      let after: string | undefined
      do {
        const page = await store.resources.list({ typeKey: MACHINES_KEY }, { limit: 1000, after })
        for (const m of page.items) if (m.host_id) machines.set(m.host_id, m.id)
        after = page.next
      } while (after)
      return (await store.hosts.list()).map((h) => hostView(h, machines.get(h.id)))
    },

    /** The resources on the host that name a network namespace (domain/network-namespace.ts). */
    async placements(hostId: string): Promise<{ resourceId: string; networkNamespace: string }[]> {
      const out: { resourceId: string; networkNamespace: string }[] = []
      let after: string | undefined
      do {
        const page = await store.resources.list({ hostId }, { limit: 1000, after })
        for (const r of page.items) {
          const netns = (JSON.parse(r.properties) as Record<string, unknown>)[
            NETWORK_NAMESPACE_PROPERTY
          ]
          if (isNamespaceName(netns)) out.push({ resourceId: r.id, networkNamespace: netns })
        }
        after = page.next
      } while (after)
      return out
    },

    fetch: (hostId: string) => store.hosts.fetch(hostId),
    fetchLocal: () => store.hosts.fetchLocal(),
  }
}

export type HostRegistry = ReturnType<typeof createHostRegistry>
