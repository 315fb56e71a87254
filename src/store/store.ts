// The repository interface: every durable read and write goes through it, in either dialect.
// Operations are grouped by aggregate (SPIRE `datastore.DataStore`) with SPIRE's verbs:
// create, fetch (undefined if absent), list, update, delete, prune.
import type {
  ClientSecretRow,
  DenyAssignmentRow,
  EventRow,
  FederatedCredentialRow,
  HostRow,
  JoinTokenRow,
  PortalSessionRow,
  IdentityAttachmentRow,
  NewEventRow,
  NewResourceGroupRow,
  NewResourceRow,
  NewServicePrincipalRow,
  ResourceGroupRow,
  ResourceRow,
  ResourceRowUpdate,
  RoleAssignmentRow,
  RoleDefinitionRow,
  ServicePrincipalRow,
  SigningKeyRow,
  Subscription,
  Tenant,
} from './schema.js'
import type { VaultEndpointRow, VaultKeyPolicyRow, VaultKeyRow, VaultSecretRow } from './schema.js'
import type { ClusterStateStore } from './cluster-state-store.js'
import type { CommitWatch } from './postgres-commit-watch.js'
import type { SealedValueStore } from './sealed-value-store.js'
import type { BlobContainerStore } from './blob-container-store.js'
import type { BlobStore } from './blob-store.js'
import type { QueueStore } from './queue-store.js'
import type { InvariantOptions, Violation } from './invariants.js'
import type { ActivityStore } from './logs/activity-store.js'
import type { SignInStore } from './logs/sign-in-store.js'

export type { ActivityFilter, ActivityStore } from './logs/activity-store.js'
export type { SignInFilter, SignInStore } from './logs/sign-in-store.js'
export type { ChainCheck, LogEntry, LogTimeRange } from './logs/chained-log-store.js'

export interface Page<T> {
  items: T[]
  /** Opaque continuation token; undefined on the last page. */
  next?: string
}

export interface PageRequest {
  /** At most this many items (the store caps it). */
  limit?: number
  /** A `next` value from a previous page. */
  after?: string
}

export interface TenantStore {
  create(row: Tenant): Promise<void>
  fetch(id: string): Promise<Tenant | undefined>
  list(): Promise<Tenant[]>
}

export interface SubscriptionStore {
  create(row: Subscription): Promise<void>
  /** Case-insensitive on the id. */
  fetch(id: string): Promise<Subscription | undefined>
  list(tenantId: string): Promise<Subscription[]>
}

export interface ResourceGroupStore {
  create(row: NewResourceGroupRow): Promise<void>
  fetch(key: string): Promise<ResourceGroupRow | undefined>
  list(subscriptionId: string, page?: PageRequest): Promise<Page<ResourceGroupRow>>
  update(
    key: string,
    changes: Partial<Pick<ResourceGroupRow, 'location' | 'tags' | 'managed_by' | 'updated_at'>>,
  ): Promise<void>
  /** Deletes the group row only; callers delete its contents first, in the same transaction. */
  delete(key: string): Promise<boolean>
}

export interface ResourceFilter {
  subscriptionId?: string
  groupKey?: string
  /** Lower-cased type. */
  typeKey?: string
  parentKey?: string
  /** The host that runs the resource; null: resources placed on no host (the local one). */
  hostId?: string | null
}

export interface ResourceStore {
  create(row: NewResourceRow): Promise<void>
  fetch(key: string): Promise<ResourceRow | undefined>
  list(filter: ResourceFilter, page?: PageRequest): Promise<Page<ResourceRow>>
  update(key: string, changes: ResourceRowUpdate): Promise<void>
  delete(key: string): Promise<boolean>
  /** Number of resources in a group (for tests and group deletion). */
  count(filter: ResourceFilter): Promise<number>
  /** Resources of a type with this name (any casing) anywhere, for globally unique names. */
  findByName(typeKey: string, name: string): Promise<ResourceRow[]>
}

export interface PrincipalStore {
  create(row: NewServicePrincipalRow): Promise<void>
  fetch(objectId: string): Promise<ServicePrincipalRow | undefined>
  fetchByAppId(appId: string): Promise<ServicePrincipalRow | undefined>
  /** The principal owned by a resource (system-assigned identity or user-assigned identity). */
  fetchByResource(resourceKey: string): Promise<ServicePrincipalRow | undefined>
  list(page?: PageRequest): Promise<Page<ServicePrincipalRow>>
  delete(objectId: string): Promise<boolean>
}

export interface AttachmentStore {
  create(
    row: Omit<IdentityAttachmentRow, 'selectors'> & { selectors?: string | null },
  ): Promise<void>
  /** Replaces an attachment's process selectors (null: none); false if it is not attached. */
  updateSelectors(
    resourceKey: string,
    identityKey: string,
    selectors: string | null,
  ): Promise<boolean>
  /** User-assigned identities attached to a compute resource. */
  listByResource(resourceKey: string): Promise<IdentityAttachmentRow[]>
  /** Compute resources an identity is attached to. */
  listByIdentity(identityKey: string): Promise<IdentityAttachmentRow[]>
  delete(resourceKey: string, identityKey: string): Promise<boolean>
  deleteByResource(resourceKey: string): Promise<number>
  deleteByIdentity(identityKey: string): Promise<number>
}

export interface ClientSecretStore {
  create(row: ClientSecretRow): Promise<void>
  listByAppId(appId: string): Promise<ClientSecretRow[]>
  deleteByAppId(appId: string): Promise<number>
}

export interface SigningKeyStore {
  /** Holds the rotation lock until the calling transaction ends: replicas rotating at once
   * (all starting on an empty database) create one key, not one each. */
  lockForRotation(): Promise<void>
  create(row: SigningKeyRow): Promise<void>
  list(): Promise<SigningKeyRow[]>
  /** Deletes keys whose expire_at <= now; returns how many. */
  prune(now: number): Promise<number>
}

export interface EventStore {
  /** Appends one event; returns its sequence number. Append-only: no update or delete. */
  append(row: Omit<NewEventRow, 'seq'>): Promise<number>
  /** Events with seq > after, oldest first. */
  list(after: number, limit?: number): Promise<EventRow[]>
  /** Highest seq, 0 when empty. */
  last(): Promise<number>
}

export interface HostStore {
  create(row: HostRow): Promise<void>
  fetch(id: string): Promise<HostRow | undefined>
  /** The active host of the in-process agent of `keyless up`, if any. */
  fetchLocal(): Promise<HostRow | undefined>
  list(): Promise<HostRow[]>
  update(id: string, changes: Partial<Omit<HostRow, 'id'>>): Promise<boolean>
}

export interface JoinTokenStore {
  create(row: JoinTokenRow): Promise<void>
  fetchByHash(hash: string): Promise<JoinTokenRow | undefined>
  /** Marks the token used by `hostId`; false when it was already used. */
  consume(id: string, usedAt: number, hostId: string): Promise<boolean>
  prune(now: number): Promise<number>
}

/** Portal sign-in links and sessions, found by the hash of their secret. */
export interface PortalSessionStore {
  create(row: PortalSessionRow): Promise<void>
  /** Turns an unexpired, unredeemed link into a session in one statement (single use: of two
   * concurrent redemptions one wins); undefined when the link is unknown, used or expired. */
  redeem(
    linkHash: string,
    session: { sessionHash: string; now: number; expiresAt: number },
  ): Promise<PortalSessionRow | undefined>
  /** A redeemed, unexpired session. */
  fetchBySessionHash(hash: string, now: number): Promise<PortalSessionRow | undefined>
  delete(id: string): Promise<void>
  prune(now: number): Promise<number>
}

/** Federated identity credentials, by identity; names compared lower-cased (`name_key`). */
export interface FederatedCredentialStore {
  create(row: FederatedCredentialRow): Promise<void>
  fetch(identityKey: string, nameKey: string): Promise<FederatedCredentialRow | undefined>
  /** Every credential of an identity, by name (bounded by the per-identity limit). */
  list(identityKey: string): Promise<FederatedCredentialRow[]>
  /** The credentials of an identity that trust `issuer`, by name: what a token exchange reads.
   * Served by the (identity_key, issuer, subject) index, so it stays fast at the cap. */
  listByIssuer(identityKey: string, issuer: string): Promise<FederatedCredentialRow[]>
  count(identityKey: string): Promise<number>
  update(
    identityKey: string,
    nameKey: string,
    changes: Partial<
      Pick<
        FederatedCredentialRow,
        'issuer' | 'subject' | 'audiences' | 'claims_matching_expression' | 'updated_at'
      >
    >,
  ): Promise<boolean>
  delete(identityKey: string, nameKey: string): Promise<boolean>
  deleteByIdentity(identityKey: string): Promise<number>
}

/** Ids of accepted client assertions, shared by every replica (RFC 7523 §3 item 7). */
export interface AssertionIdStore {
  /**
   * Records `jti` as used until `expiresAt` (epoch ms); true the first time, false while an
   * earlier use is still recorded. A record whose time has passed counts as absent.
   */
  claim(jti: string, expiresAt: number, now: number): Promise<boolean>
  /** Whether `jti` is recorded as used at `now` (a dry run asks without claiming). */
  isClaimed(jti: string, now: number): Promise<boolean>
  /** Deletes records whose time has passed; returns how many. */
  prune(now: number): Promise<number>
}

export interface RoleDefinitionStore {
  /** `role_name_key` is derived from `role_name`. */
  create(row: Omit<RoleDefinitionRow, 'role_name_key'>): Promise<void>
  /** By GUID, any casing. */
  fetch(id: string): Promise<RoleDefinitionRow | undefined>
  /** By role name, any casing. */
  fetchByName(roleName: string): Promise<RoleDefinitionRow | undefined>
  list(page?: PageRequest): Promise<Page<RoleDefinitionRow>>
  update(
    id: string,
    changes: Partial<
      Pick<
        RoleDefinitionRow,
        'role_name' | 'description' | 'permissions' | 'assignable_scopes' | 'updated_at'
      >
    >,
  ): Promise<void>
  delete(id: string): Promise<boolean>
}

export interface RoleAssignmentFilter {
  principalId?: string
  roleDefinitionId?: string
  /** Assignments at exactly one of these scope keys ... */
  scopeKeys?: readonly string[]
  /** ... or strictly below this scope key (OR-ed with `scopeKeys` when both are given). */
  below?: string
}

export interface RoleAssignmentStore {
  create(row: RoleAssignmentRow): Promise<void>
  fetch(name: string): Promise<RoleAssignmentRow | undefined>
  list(filter: RoleAssignmentFilter, page?: PageRequest): Promise<Page<RoleAssignmentRow>>
  count(filter: RoleAssignmentFilter): Promise<number>
  update(
    name: string,
    changes: Partial<
      Pick<RoleAssignmentRow, 'description' | 'condition' | 'condition_version' | 'updated_at'>
    >,
  ): Promise<void>
  delete(name: string): Promise<boolean>
  /** Deletes every assignment of a principal; returns the deleted rows (for their events). */
  deleteByPrincipal(principalId: string): Promise<RoleAssignmentRow[]>
  /** Deletes every assignment at or below a scope key; returns the deleted rows. */
  deleteAtOrBelow(scopeKey: string): Promise<RoleAssignmentRow[]>
}

export interface DenyAssignmentFilter {
  scopeKeys?: readonly string[]
  below?: string
}

export interface DenyAssignmentStore {
  create(row: DenyAssignmentRow): Promise<void>
  fetch(id: string): Promise<DenyAssignmentRow | undefined>
  list(filter: DenyAssignmentFilter, page?: PageRequest): Promise<Page<DenyAssignmentRow>>
  delete(id: string): Promise<boolean>
  /** Deletes every deny assignment at or below a scope key; returns the deleted rows. */
  deleteAtOrBelow(scopeKey: string): Promise<DenyAssignmentRow[]>
}

export type VaultSecretChanges = Partial<
  Pick<VaultSecretRow, 'content_type' | 'tags' | 'enabled' | 'nbf' | 'exp' | 'updated_at'>
>

export type VaultKeyChanges = Partial<
  Pick<VaultKeyRow, 'key_ops' | 'tags' | 'enabled' | 'nbf' | 'exp' | 'updated_at'>
>

/** The columns every versioned, soft-deletable Key Vault object has (secrets, keys). */
export interface VersionedObjectRow {
  vault_key: string
  name_key: string
  name: string
  version: string
  created_at: number
  updated_at: number
  deleted_at: number | null
  scheduled_purge_at: number | null
}

/** Versioned Key Vault objects. Names are matched in any casing; versions are lower-case hex. */
export interface VersionedObjectStore<Row extends VersionedObjectRow, Changes> {
  create(row: Row): Promise<void>
  /** One version of a name, live or soft-deleted. */
  fetch(vaultKey: string, name: string, version: string): Promise<Row | undefined>
  /** The newest version (highest created_at) of a name, live or soft-deleted. */
  fetchLatest(vaultKey: string, name: string): Promise<Row | undefined>
  /** The newest version of each name, live ones or soft-deleted ones, ordered by name. */
  listLatest(vaultKey: string, filter: { deleted: boolean }, page?: PageRequest): Promise<Page<Row>>
  /** Every version of a name, ordered by version. */
  listVersions(vaultKey: string, name: string, page?: PageRequest): Promise<Page<Row>>
  /** Every version of a name, oldest first (backups). */
  listAllVersions(vaultKey: string, name: string): Promise<Row[]>
  update(vaultKey: string, name: string, version: string, changes: Changes): Promise<boolean>
  /** Marks every version of a name soft-deleted, or live again with nulls; returns the count. */
  setDeleted(
    vaultKey: string,
    name: string,
    deletedAt: number | null,
    scheduledPurgeAt: number | null,
  ): Promise<number>
  /** Deletes every version of a name for good (purge); returns the count. */
  delete(vaultKey: string, name: string): Promise<number>
  /** Purges soft-deleted versions whose scheduled purge time is <= now; returns the count. */
  prune(now: number): Promise<number>
}

export type VaultSecretStore = VersionedObjectStore<VaultSecretRow, VaultSecretChanges>
export type VaultKeyStore = VersionedObjectStore<VaultKeyRow, VaultKeyChanges>

/** Rotation policies of keys, one per name. */
export interface VaultKeyPolicyStore {
  fetch(vaultKey: string, name: string): Promise<VaultKeyPolicyRow | undefined>
  /** Creates or replaces the name's policy. */
  save(row: VaultKeyPolicyRow): Promise<void>
  delete(vaultKey: string, name: string): Promise<number>
}

export interface VaultEndpointStore {
  fetch(vaultKey: string): Promise<VaultEndpointRow | undefined>
  /** Creates or replaces the vault's row. */
  save(row: VaultEndpointRow): Promise<void>
}

export interface Repositories {
  tenants: TenantStore
  subscriptions: SubscriptionStore
  resourceGroups: ResourceGroupStore
  resources: ResourceStore
  principals: PrincipalStore
  attachments: AttachmentStore
  clientSecrets: ClientSecretStore
  signingKeys: SigningKeyStore
  events: EventStore
  roleDefinitions: RoleDefinitionStore
  roleAssignments: RoleAssignmentStore
  denyAssignments: DenyAssignmentStore
  hosts: HostStore
  joinTokens: JoinTokenStore
  portalSessions: PortalSessionStore
  assertionIds: AssertionIdStore
  federatedCredentials: FederatedCredentialStore
  vaultSecrets: VaultSecretStore
  vaultEndpoints: VaultEndpointStore
  vaultKeys: VaultKeyStore
  vaultKeyPolicies: VaultKeyPolicyStore
  blobContainers: BlobContainerStore
  blobs: BlobStore
  /** Storage queues and their messages (queue-store.ts). */
  queues: QueueStore
  /** What server replicas share besides the directory (server/cluster-state.ts). */
  clusterState: ClusterStateStore
  /** Every sealed column at once, for master-key rotation. */
  sealedValues: SealedValueStore
  /** Append-only and hash-chained: every token request (logs/sign-in-store.ts). */
  signIns: SignInStore
  /** Append-only and hash-chained: every control-plane write (logs/activity-store.ts). */
  activity: ActivityStore
}

/**
 * What a database does differently, as flags (kysely's adapters: `supportsTransactionalDdl`…).
 * Each dialect file sets them with the reason (sqlite.ts, postgres.ts); code decides on these,
 * never on which database it is.
 */
export interface StoreCapabilities {
  /**
   * Transactions write side by side: a read-then-write needs a row lock, and appends to the
   * event log must be serialized to commit in sequence order.
   */
  readonly hasConcurrentWriters: boolean
  /** Other servers may use the same database at once (replicas), with work in flight. */
  readonly isSharedByReplicas: boolean
}

export interface Store extends Repositories {
  readonly capabilities: StoreCapabilities
  /**
   * Runs `fn` in one transaction: everything it writes commits together or not at all.
   * Unique violations surface as `Conflict` (domain/errors), never as driver errors.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>
  /** One round trip to the database (readiness checks); rejects like any other query. */
  ping(): Promise<void>
  /** Every broken invariant (orphans, half-done operations); empty when the store is sound. */
  findViolations(options?: InvariantOptions): Promise<Violation[]>
  /**
   * Calls `wake` soon after another process commits an event, and after every reconnect of the
   * watch; absent where no other process writes (SQLite). Resolves to the function that stops it.
   */
  watchCommits?: CommitWatch
  close(): Promise<void>
}
