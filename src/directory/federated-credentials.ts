// Federated identity credentials of user-assigned identities: each write is one transaction that
// checks the identity, the per-identity limit and the issuer/subject uniqueness together, so two
// concurrent PUTs cannot exceed the limit unnoticed (the unique index settles the race on
// issuer and subject; the count is re-read inside the transaction).
import type { Clock } from '../domain/clock.js'
import { BadRequest, Conflict, NotFound } from '../domain/errors.js'
import {
  FEDERATED_CREDENTIALS,
  validateFederatedCredentialName,
  type FederatedCredentialInput,
} from '../domain/federated-credential.js'
import type { ResourceId } from '../domain/resource-id.js'
import { USER_ASSIGNED_IDENTITIES } from '../domain/resource-types.js'
import type { FederatedCredentialRow } from '../store/schema.js'
import type { Repositories, Store } from '../store/store.js'
import { recordChange } from './events.js'
import { resourceNotFound } from './resources.js'

export interface FederatedCredentialView {
  id: string
  name: string
  type: string
  issuer: string
  subject?: string
  audiences: string[]
  claimsMatchingExpression?: { value: string; languageVersion: number }
}

export interface FederatedCredentialsOptions {
  store: Store
  clock: Clock
  /** Credentials per identity; Azure allows 20, Keyless 1,000 unless configured. */
  maxPerIdentity: number
}

export function federatedCredentialView(row: FederatedCredentialRow): FederatedCredentialView {
  return {
    id: row.id,
    name: row.name,
    type: FEDERATED_CREDENTIALS,
    issuer: row.issuer,
    ...(row.subject !== null ? { subject: row.subject } : {}),
    audiences: JSON.parse(row.audiences) as string[],
    ...(row.claims_matching_expression !== null
      ? { claimsMatchingExpression: JSON.parse(row.claims_matching_expression) }
      : {}),
  }
}

function notFound(identity: ResourceId, name: string): NotFound {
  return new NotFound(
    'NotFound',
    `Federated Identity Credential '${name}' of identity '${identity.name}' was not found`,
  )
}

async function requireIdentity(tx: Repositories, identity: ResourceId) {
  if (identity.type?.toLowerCase() !== USER_ASSIGNED_IDENTITIES.toLowerCase()) {
    throw new BadRequest(
      'InvalidResourceType',
      `'${identity.id}' is not a user-assigned identity: only those hold federated identity credentials`,
    )
  }
  const row = await tx.resources.fetch(identity.key)
  if (!row) throw resourceNotFound(identity)
  return row
}

export function createFederatedCredentials({
  store,
  clock,
  maxPerIdentity,
}: FederatedCredentialsOptions) {
  return {
    async put(identity: ResourceId, name: string, input: FederatedCredentialInput) {
      validateFederatedCredentialName(name)
      return store.transaction(async (tx) => {
        const owner = await requireIdentity(tx, identity)
        const nameKey = name.toLowerCase()
        const existing = await tx.federatedCredentials.fetch(owner.key, nameKey)
        const subject = input.subject ?? null
        if (subject !== null) {
          const clash = (await tx.federatedCredentials.listByIssuer(owner.key, input.issuer)).find(
            (c) => c.name_key !== nameKey && c.subject === subject,
          )
          if (clash) {
            throw new Conflict(
              'Conflict',
              `Federated Identity Credential '${clash.name}' already has issuer '${input.issuer}' and subject '${subject}'`,
            )
          }
        }
        const now = clock.now()
        const values = {
          issuer: input.issuer,
          subject,
          audiences: JSON.stringify(input.audiences),
          claims_matching_expression: input.claimsMatchingExpression
            ? JSON.stringify(input.claimsMatchingExpression)
            : null,
        }
        if (existing) {
          await tx.federatedCredentials.update(owner.key, nameKey, { ...values, updated_at: now })
        } else {
          if ((await tx.federatedCredentials.count(owner.key)) >= maxPerIdentity) {
            throw new BadRequest(
              'BadRequest',
              `Too many Federated Identity Credentials are written to Managed Identity '${owner.id}': at most ${maxPerIdentity} are allowed`,
            )
          }
          await tx.federatedCredentials.create({
            identity_key: owner.key,
            name_key: nameKey,
            id: `${owner.id}/federatedIdentityCredentials/${name}`,
            name,
            ...values,
            created_at: now,
            updated_at: now,
          })
        }
        await recordChange(
          tx,
          now,
          existing ? 'federatedCredential.updated' : 'federatedCredential.created',
          owner.key,
          { name },
        )
        const row = (await tx.federatedCredentials.fetch(owner.key, nameKey))!
        return { credential: federatedCredentialView(row), created: !existing }
      })
    },

    async get(identity: ResourceId, name: string): Promise<FederatedCredentialView> {
      const owner = await requireIdentity(store, identity)
      const row = await store.federatedCredentials.fetch(owner.key, name.toLowerCase())
      if (!row) throw notFound(identity, name)
      return federatedCredentialView(row)
    },

    async list(identity: ResourceId): Promise<FederatedCredentialView[]> {
      const owner = await requireIdentity(store, identity)
      return (await store.federatedCredentials.list(owner.key)).map(federatedCredentialView)
    },

    /** False when it did not exist (ARM's 204). */
    async delete(identity: ResourceId, name: string): Promise<boolean> {
      return store.transaction(async (tx) => {
        const owner = await requireIdentity(tx, identity)
        const deleted = await tx.federatedCredentials.delete(owner.key, name.toLowerCase())
        if (deleted) {
          await recordChange(tx, clock.now(), 'federatedCredential.deleted', owner.key, { name })
        }
        return deleted
      })
    },
  }
}

export type FederatedCredentials = ReturnType<typeof createFederatedCredentials>
