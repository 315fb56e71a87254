// Agent hosts: enrolled once with a one-time join token, holding a short-lived certificate from
// the Keyless CA that they renew, revocable by the operator. Join tokens are stored as digests
// and consumed in the same transaction that creates the host, so one token makes one host.
import { createHash, createPublicKey, randomBytes, randomUUID, X509Certificate } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import { BadRequest, NotFound, Unauthenticated } from '../domain/errors.js'
import type { HostRow, JoinTokenRow } from '../store/schema.js'
import type { Store } from '../store/store.js'
import { recordChange } from './events.js'

/** `host.revoked` data: the keys of the resources the host ran when it was revoked. */
export const HOST_RESOURCE_KEYS = 'resourceKeys'

export interface HostView {
  id: string
  name: string
  state: 'active' | 'revoked'
  isLocal: boolean
  certificateNotAfter: number
  createdAt: number
  renewedAt: number | null
  revokedAt: number | null
}

export interface IssuedHostCredential {
  host: HostView
  certificate: string
}

export interface HostRegistryOptions {
  store: Store
  clock: Clock
  /** Signs a client certificate for `publicKeyPem` with CN = `hostId`, valid for `lifetimeMs`. */
  issueCertificate: (hostId: string, publicKeyPem: string, lifetimeMs: number) => Promise<string>
  certificateLifetimeMs: number
  joinTokenLifetimeMs: number
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex')

export function hostView(row: HostRow): HostView {
  return {
    id: row.id,
    name: row.name,
    state: row.state === 'revoked' ? 'revoked' : 'active',
    isLocal: row.is_local === 1,
    certificateNotAfter: row.cert_not_after,
    createdAt: row.created_at,
    renewedAt: row.renewed_at,
    revokedAt: row.revoked_at,
  }
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
    return { serial: c.serialNumber, notAfter: Date.parse(c.validTo) }
  }

  return {
    async createJoinToken(options: { isLocal?: boolean } = {}) {
      const token = `kjt~${randomBytes(32).toString('base64url')}`
      const now = clock.now()
      const expiresAt = now + o.joinTokenLifetimeMs
      await store.transaction(async (tx) => {
        await tx.joinTokens.prune(now)
        await tx.joinTokens.create({
          id: randomUUID(),
          token_hash: digest(token),
          is_local: options.isLocal ? 1 : 0,
          created_at: now,
          expires_at: expiresAt,
          used_at: null,
          host_id: null,
        })
      })
      return { token, expiresAt }
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
      const { serial, notAfter } = certFacts(certificate)
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
          cert_not_after: notAfter,
          created_at: now,
          renewed_at: null,
          revoked_at: null,
        }
        await tx.hosts.create(row)
        await recordChange(tx, now, 'host.enrolled', hostId, {
          name: row.name,
          isLocal: row.is_local === 1,
        })
        return { host: hostView(row), certificate }
      })
    },

    async renew(hostId: string, publicKeyPem: string): Promise<IssuedHostCredential> {
      assertHostKey(publicKeyPem)
      const certificate = await o.issueCertificate(hostId, publicKeyPem, o.certificateLifetimeMs)
      const { serial, notAfter } = certFacts(certificate)
      return store.transaction(async (tx) => {
        const now = clock.now()
        const host = await tx.hosts.fetch(hostId)
        if (!host || host.state !== 'active')
          throw new Unauthenticated('HostRevoked', 'the host is revoked')
        await tx.hosts.update(hostId, {
          cert_serial: serial,
          cert_not_after: notAfter,
          renewed_at: now,
        })
        await recordChange(tx, now, 'host.renewed', hostId, { notAfter })
        return { host: hostView((await tx.hosts.fetch(hostId))!), certificate }
      })
    },

    async revoke(hostId: string): Promise<HostView> {
      return store.transaction(async (tx) => {
        const host = await tx.hosts.fetch(hostId)
        if (!host) throw new NotFound('HostNotFound', `host '${hostId}' does not exist`)
        if (host.state === 'revoked') return hostView(host)
        const now = clock.now()
        await tx.hosts.update(hostId, { state: 'revoked', revoked_at: now })
        // The resources it runs, so that verifiers refuse the tokens it obtained for them
        // (tokens name their resource, not their host: directory/token-revocations.ts).
        const resourceKeys: string[] = []
        // The local host also runs the resources placed on no host (isHostedBy).
        const placed = host.is_local === 1 ? [hostId, null] : [hostId]
        for (const runner of placed) {
          for (let after: string | undefined; ;) {
            const page = await tx.resources.list({ hostId: runner }, { limit: 1000, after })
            resourceKeys.push(...page.items.map((r) => r.key))
            if (!(after = page.next)) break
          }
        }
        await recordChange(tx, now, 'host.revoked', hostId, { [HOST_RESOURCE_KEYS]: resourceKeys })
        return hostView((await tx.hosts.fetch(hostId))!)
      })
    },

    async list(): Promise<HostView[]> {
      return (await store.hosts.list()).map(hostView)
    },

    fetch: (hostId: string) => store.hosts.fetch(hostId),
    fetchLocal: () => store.hosts.fetchLocal(),
  }
}

export type HostRegistry = ReturnType<typeof createHostRegistry>
