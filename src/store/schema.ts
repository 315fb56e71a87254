// The database as Kysely sees it: one interface per table. Row types for the rest of the code
// come from Selectable/Insertable/Updateable of these (STYLE §2). Migrations never import this
// file: they are frozen in time and use Kysely<any>.
//
// Conventions, the same in both dialects:
// - times are integer epoch milliseconds (`bigint` in PostgreSQL, parsed back to number);
// - JSON values are stored as text and parsed by the repository that owns the table;
// - ARM resource ids keep the casing of their creation in `id` and are looked up through `key`,
//   their lower-cased form, because ARM compares ids case-insensitively.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely'

export interface TenantTable {
  id: string
  display_name: string
  created_at: number
}

export interface SubscriptionTable {
  id: string
  tenant_id: string
  display_name: string
  state: string
  created_at: number
}

export interface ResourceGroupTable {
  key: string
  id: string
  subscription_id: string
  name: string
  location: string
  /** JSON object of string → string */
  tags: string
  managed_by: string | null
  created_at: number
  updated_at: number
}

export interface ResourceTable {
  key: string
  id: string
  subscription_id: string
  group_key: string
  /** Key of the parent resource for nested types (a web app for its slots); null otherwise. */
  parent_key: string | null
  /** Full type as created, e.g. `Microsoft.Web/sites/slots`. */
  type: string
  /** Lower-cased type, for lookups. */
  type_key: string
  name: string
  kind: string | null
  location: string
  /** JSON object of string → string */
  tags: string
  /** JSON object: the resource's `properties` as stored (never identity data). */
  properties: string
  /** The agent host this compute resource runs on; null = the local agent. */
  host_id: string | null
  /** Process selectors of its system-assigned identity, canonical JSON; null: none. */
  identity_selectors: string | null
  created_at: number
  updated_at: number
}

export interface ServicePrincipalTable {
  /** objectId = principalId = token `oid`. */
  object_id: string
  /** appId = clientId = token `appid`. Unique. */
  app_id: string
  tenant_id: string
  display_name: string
  /** `ManagedIdentity` or `Application` (the operator). */
  principal_type: string
  /** `SystemAssigned`, `UserAssigned` or null for non-identity principals. */
  identity_kind: string | null
  /** JSON array of strings (Graph `alternativeNames`). */
  alternative_names: string
  /** Key of the resource that owns the principal (the compute resource for a system-assigned
   * identity, the identity resource for a user-assigned one); null for the operator. Unique. */
  resource_key: string | null
  created_at: number
}

export interface IdentityAttachmentTable {
  /** The compute resource. */
  resource_key: string
  /** The user-assigned identity resource. */
  identity_key: string
  created_at: number
  /** Process selectors of this attachment, canonical JSON (domain/process-selectors.ts); null: none. */
  selectors: string | null
}

export interface ClientSecretTable {
  id: string
  app_id: string
  /** SHA-256 of the secret, hex. Secrets are 256-bit random values, so a fast hash suffices. */
  secret_hash: string
  created_at: number
  expires_at: number | null
}

export interface SigningKeyTable {
  kid: string
  alg: string
  /** JSON of the public JWK (with x5c, x5t). */
  public_jwk: string
  /** The private key (PKCS#8), encrypted with the data directory's master key as a compact JWE. */
  private_key_enc: string
  /** Published in JWKS from this moment. */
  created_at: number
  /** Signs tokens from this moment ... */
  activate_at: number
  /** ... until this one. */
  retire_at: number
  /** Leaves JWKS at this moment: every token it signed has expired by then. */
  expire_at: number
}

export interface EventTable {
  seq: Generated<number>
  at: number
  /** e.g. `resource.deleted`, `principal.deleted`, `identity.detached`. */
  kind: string
  /** The lower-cased id or object id the event is about. */
  subject: string
  /** JSON object with event details. */
  data: string
}

export interface HostTable {
  id: string
  name: string
  /** `active` or `revoked`. */
  state: string
  /** 1 for the agent inside `keyless up`, which hosts resources that name no host. */
  is_local: number
  /** Serial of the host's current certificate. */
  cert_serial: string
  /** Subject of the CA that signed it (`CN=Keyless Local CA 2`); null: issued before this was
   * recorded. */
  cert_issuer: string | null
  cert_not_after: number
  created_at: number
  renewed_at: number | null
  revoked_at: number | null
}

export interface JoinTokenTable {
  id: string
  /** SHA-256 of the token, hex: the token itself is shown once and never stored. */
  token_hash: string
  is_local: number
  created_at: number
  expires_at: number
  used_at: number | null
  host_id: string | null
  /** Resource group id of the host's Microsoft.HybridCompute/machines resource; null: none. */
  machine_group_id: string | null
  machine_location: string | null
}

/** A portal sign-in link, and once redeemed the session it became (portal/sessions.ts). */
export interface PortalSessionTable {
  id: string
  /** SHA-256 of the link's one-time code, hex. */
  link_hash: string
  /** SHA-256 of the session cookie, hex; null until the link is redeemed. */
  session_hash: string | null
  /** Object id of the service principal the portal acts as. */
  principal_id: string
  /** Object id of the principal that asked for the link. */
  created_by: string
  created_at: number
  redeemed_at: number | null
  /** The link's expiry until redeemed, then the session's. */
  expires_at: number
}

/** The `jti` of each client assertion accepted, until the assertion expires (replay guard). */
export interface UsedAssertionIdTable {
  jti: string
  /** Epoch ms after which the assertion cannot verify any more and the row may go. */
  expires_at: number
}

/** A user-assigned identity's trust in an external issuer's tokens. */
export interface FederatedCredentialTable {
  /** Key of the user-assigned identity resource. */
  identity_key: string
  /** Lower-cased name: ARM names are case-insensitive. */
  name_key: string
  /** The ARM id as created. */
  id: string
  name: string
  issuer: string
  /** Exact, case-sensitive `sub`; null when `claims_matching_expression` is set instead. */
  subject: string | null
  /** JSON array of strings */
  audiences: string
  /** JSON `{ value, languageVersion }`, or null */
  claims_matching_expression: string | null
  created_at: number
  updated_at: number
}

export interface RoleDefinitionTable {
  /** The GUID, lower-case. */
  id: string
  /** Key of the scope the definition was created at. */
  scope: string
  role_name: string
  /** Lower-cased role_name: unique. */
  role_name_key: string
  /** `CustomRole` (built-in roles are code, never rows). */
  type: string
  description: string
  /** JSON array of permission blocks {actions, notActions, dataActions, notDataActions}. */
  permissions: string
  /** JSON array of scope ids. */
  assignable_scopes: string
  created_at: number
  updated_at: number
}

export interface RoleAssignmentTable {
  /** The GUID, lower-case. */
  name: string
  /** The scope id as created. */
  scope: string
  scope_key: string
  /** The role definition GUID, lower-case. */
  role_definition_id: string
  principal_id: string
  /** `ServicePrincipal`, `User`, `Group`, ... */
  principal_type: string
  description: string | null
  condition: string | null
  condition_version: string | null
  created_at: number
  updated_at: number
  created_by: string | null
}

export interface DenyAssignmentTable {
  id: string
  name: string
  scope: string
  scope_key: string
  description: string
  /** JSON array of permission blocks. */
  permissions: string
  /** JSON arrays of {id, type}. */
  principals: string
  exclude_principals: string
  /** 0 or 1. */
  do_not_apply_to_child_scopes: number
  created_at: number
}

export interface BlobContainerTable {
  /** Random id; containers are found by (account_key, name). */
  id: string
  /** Key of the `Microsoft.Storage/storageAccounts` resource. */
  account_key: string
  name: string
  /** JSON object of string → string (metadata names keep their casing). */
  metadata: string
  /** Unquoted, e.g. `0x8DBE5A1B2C3D4E6`. */
  etag: string
  created_at: number
  updated_at: number
}

export interface BlobTable {
  container_id: string
  name: string
  /** File name of the complete content under `<dataDir>/blobs/data/`. */
  content_file: string
  size: number
  content_type: string | null
  content_encoding: string | null
  content_language: string | null
  content_disposition: string | null
  cache_control: string | null
  /** Base64 MD5 of the content, when known. */
  content_md5: string | null
  /** JSON object of string → string. */
  metadata: string
  etag: string
  /** JSON array of the committed blocks {id, size}, in order; [] after a single-shot upload. */
  block_list: string
  created_at: number
  updated_at: number
}

export interface BlobBlockTable {
  container_id: string
  blob_name: string
  /** The block id as the client sent it (base64). */
  block_id: string
  content_file: string
  size: number
  created_at: number
}

export interface QueueTable {
  id: string
  /** Key of the `Microsoft.Storage/storageAccounts` resource. */
  account_key: string
  name: string
  /** JSON object of string → string (metadata names keep their casing). */
  metadata: string
  created_at: number
}

export interface QueueMessageTable {
  /** A GUID, as Azure's MessageId. */
  id: string
  queue_id: string
  /** The message text exactly as put (the client's base64 or plain XML text). */
  body: string
  inserted_at: number
  /** Epoch ms; a message put with messagettl=-1 expires at 9999-12-31T23:59:59Z. */
  expires_at: number
  /** Epoch ms from which Get Messages may return it. */
  visible_at: number
  dequeue_count: number
  /** Changes at every dequeue and update; delete and update must name the current one. */
  pop_receipt: string
}

export interface VaultSecretTable {
  /** Key of the `Microsoft.KeyVault/vaults` resource. */
  vault_key: string
  /** Lower-cased name: Key Vault compares object names case-insensitively. */
  name_key: string
  /** The name as created. */
  name: string
  /** 32 lower-case hex digits. */
  version: string
  /** The value, encrypted with the data directory's master key as a compact JWE. */
  value_enc: string
  content_type: string | null
  /** JSON object of string → string, or null when the secret has no tags. */
  tags: string | null
  /** 0 or 1. */
  enabled: number
  /** Not before / expires, epoch ms. */
  nbf: number | null
  exp: number | null
  created_at: number
  updated_at: number
  /** Soft delete: set on every version of a deleted name, null otherwise. */
  deleted_at: number | null
  scheduled_purge_at: number | null
}

export interface VaultKeyTable {
  vault_key: string
  name_key: string
  name: string
  version: string
  /** `RSA` or `EC`. */
  kty: string
  /** JSON array of the key's permitted operations. */
  key_ops: string
  /** JSON of the public JWK (no `kid`, no private members). */
  public_jwk: string
  /** The private JWK, sealed under the installation's key hierarchy as a compact JWE. */
  private_enc: string
  tags: string | null
  enabled: number
  nbf: number | null
  exp: number | null
  created_at: number
  updated_at: number
  deleted_at: number | null
  scheduled_purge_at: number | null
}

/** A key's rotation policy, kept across its versions and removed with the key. */
export interface VaultKeyPolicyTable {
  vault_key: string
  name_key: string
  /** JSON: `{ lifetimeActions, expiryTime }` as validated. */
  policy: string
  created_at: number
  updated_at: number
}

export interface VaultEndpointTable {
  vault_key: string
  /** The port the vault's listener last bound, reused on restart so its URL stays stable. */
  port: number
  updated_at: number
}

/** Shared state of server replicas, by name (server/cluster-state.ts). */
export interface ClusterStateTable {
  name: string
  value: string
  updated_at: number
}

export interface LogChainTable {
  /** `sign_ins` or `activity_log`. */
  log: string
  head_seq: number
  head_hash: string
  /** The last pruned entry (0 and the genesis hash while nothing was pruned). */
  anchor_seq: number
  anchor_hash: string
}

/** Columns every hash-chained log table has (common/log-chain.ts). */
export interface ChainedColumns {
  seq: number
  created_at: number
  /** The record's canonical JSON. */
  record: string
  prev_hash: string
  hash: string
}

export interface SignInTable extends ChainedColumns {
  /** Lower-cased copies of record fields, for filters. */
  principal_id: string | null
  app_id: string | null
  identity_resource_key: string | null
  audience: string | null
  host_id: string | null
  result: string
}

export interface ActivityLogTable extends ChainedColumns {
  subscription_key: string | null
  resource_group_key: string | null
  resource_key: string
  correlation_id: string
  caller: string | null
  status: string
}

export interface Database {
  tenants: TenantTable
  subscriptions: SubscriptionTable
  resource_groups: ResourceGroupTable
  resources: ResourceTable
  service_principals: ServicePrincipalTable
  identity_attachments: IdentityAttachmentTable
  client_secrets: ClientSecretTable
  signing_keys: SigningKeyTable
  events: EventTable
  role_definitions: RoleDefinitionTable
  role_assignments: RoleAssignmentTable
  deny_assignments: DenyAssignmentTable
  hosts: HostTable
  join_tokens: JoinTokenTable
  used_assertion_ids: UsedAssertionIdTable
  federated_credentials: FederatedCredentialTable
  vault_secrets: VaultSecretTable
  vault_endpoints: VaultEndpointTable
  vault_keys: VaultKeyTable
  vault_key_policies: VaultKeyPolicyTable
  blob_containers: BlobContainerTable
  blobs: BlobTable
  blob_blocks: BlobBlockTable
  queues: QueueTable
  queue_messages: QueueMessageTable
  log_chains: LogChainTable
  cluster_state: ClusterStateTable
  sign_ins: SignInTable
  activity_log: ActivityLogTable
  portal_sessions: PortalSessionTable
}

export type Tenant = Selectable<TenantTable>
export type Subscription = Selectable<SubscriptionTable>
export type ResourceGroupRow = Selectable<ResourceGroupTable>
export type NewResourceGroupRow = Insertable<ResourceGroupTable>
export type ResourceRow = Selectable<ResourceTable>
export type NewResourceRow = Insertable<ResourceTable>
export type ResourceRowUpdate = Updateable<ResourceTable>
export type ServicePrincipalRow = Selectable<ServicePrincipalTable>
export type NewServicePrincipalRow = Insertable<ServicePrincipalTable>
export type IdentityAttachmentRow = Selectable<IdentityAttachmentTable>
export type ClientSecretRow = Selectable<ClientSecretTable>
export type SigningKeyRow = Selectable<SigningKeyTable>
export type EventRow = Selectable<EventTable>
export type NewEventRow = Insertable<EventTable>
export type HostRow = Selectable<HostTable>
export type JoinTokenRow = Selectable<JoinTokenTable>
export type PortalSessionRow = Selectable<PortalSessionTable>
export type VaultSecretRow = Selectable<VaultSecretTable>
export type VaultEndpointRow = Selectable<VaultEndpointTable>
export type ClusterStateRow = Selectable<ClusterStateTable>
export type VaultKeyRow = Selectable<VaultKeyTable>
export type VaultKeyPolicyRow = Selectable<VaultKeyPolicyTable>
export type BlobContainerRow = Selectable<BlobContainerTable>
export type BlobRow = Selectable<BlobTable>
export type BlobBlockRow = Selectable<BlobBlockTable>
export type QueueRow = Selectable<QueueTable>
export type QueueMessageRow = Selectable<QueueMessageTable>
export type RoleDefinitionRow = Selectable<RoleDefinitionTable>
export type RoleAssignmentRow = Selectable<RoleAssignmentTable>
export type DenyAssignmentRow = Selectable<DenyAssignmentTable>
export type FederatedCredentialRow = Selectable<FederatedCredentialTable>
