// The contract between agents and the server, shared by both sides (STYLE §1: agents reach the
// server only over HTTP, and the constants they share live here).
//
// Enrollment: an agent generates an ECDSA P-256 key pair and POSTs its public key with a
// one-time join token to ENROLL_PATH; the server answers with a host certificate signed by the
// Keyless CA (CN = host id). The credential is renewed at RENEW_PATH before it expires.
//
// Token requests: the agent is the OAuth client. It POSTs to the ordinary token endpoint
// (`/{tenant}/oauth2/v2.0/token`) with grant_type=client_credentials, client_id = its host id,
// client_assertion_type = jwt-bearer and a client_assertion it signs with its host key
// (ES256, header `x5c` = [host certificate], claims iss = sub = host id, aud = the endpoint URL,
// jti, iat, nbf, exp ≤ iat + ASSERTION_MAX_LIFETIME_S), plus `scope` (or v1 `resource`),
// CALLER_PARAM = the ARM id of the compute resource asking, and at most one selector
// (SELECTOR_PARAMS). The server issues a managed-identity token only if that host hosts the
// resource and the selected identity is attached to it at that moment, and answers with the
// usual fields plus IDENTITY_RESPONSE_FIELDS (what the agent echoes to Arc clients).
//
// Changes: the agent follows EVENTS_PATH (server-sent events, `id:` = sequence number,
// `event:` = kind, `data:` = JSON), authenticated like token requests with an assertion whose
// aud is the events URL, sent as `Authorization: Bearer <assertion>`.

import type { SignInRecord } from '../domain/log-records.js'

export const API_PREFIX = '/keyless/v1'
export const ENROLL_PATH = `${API_PREFIX}/hosts/enroll`
export const RENEW_PATH = `${API_PREFIX}/hosts/renew`
export const JOIN_TOKENS_PATH = `${API_PREFIX}/joinTokens`
/** The federation dry run (sts/federation-test-api.ts). */
export const FEDERATION_TEST_PATH = `${API_PREFIX}/federation/test`
/** The issuer document and keys to publish (`keyless oidc export`). */
export const FEDERATION_ISSUER_PATH = `${API_PREFIX}/federation/issuer`
export const HOSTS_PATH = `${API_PREFIX}/hosts`
export const EVENTS_PATH = `${API_PREFIX}/events`
/** GET, as a host (assertion addressed to this URL): the resources placed on it that name a
 * network namespace, `{value: Placement[]}`. */
export const PLACEMENTS_PATH = `${API_PREFIX}/hosts/placements`
/** GET, as a host (assertion addressed to this URL): the CA bundle to trust, `CaResponse`.
 * Agents ask every `--ca-check-interval` to follow a CA rotation (agent/ca-watch.ts). */
export const CA_PATH = `${API_PREFIX}/ca`

export interface CaResponse {
  /** PEM bundle: the active CA (which signs host certificates now) first, then the previous
   * one while it is still trusted. */
  caCertificate: string
}

/** A compute resource on the asking host whose workloads run in `networkNamespace` there. */
export interface Placement {
  resourceId: string
  networkNamespace: string
}

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
export const ASSERTION_ALGORITHM = 'ES256'
export const ASSERTION_MAX_LIFETIME_S = 600

export type TokenEndpointVersion = 'v1' | 'v2'

/** The token endpoint's path for a tenant (`:tenant` gives the route pattern). */
export function tokenEndpointPath(tenant: string, version: TokenEndpointVersion = 'v2'): string {
  return version === 'v2' ? `/${tenant}/oauth2/v2.0/token` : `/${tenant}/oauth2/token`
}

/** The version of a token endpoint URL (v2 takes `scope`, v1 `resource`). */
export function tokenEndpointVersion(url: string): TokenEndpointVersion {
  return new URL(url).pathname.endsWith('/oauth2/v2.0/token') ? 'v2' : 'v1'
}

/**
 * The AADSTS numbers of the refusals an agent acts on, one per cause. Entra's own number where
 * Entra has the same cause (a disabled application for a revoked host, an unknown application
 * for an unknown host); Keyless's own, outside Entra's ranges, where Entra has none. The agent
 * reads `error_codes`, never the message text.
 */
export const AgentErrorCodes = {
  /** No identity matching the request is attached to the calling resource. */
  identityNotFound: 9_800_001,
  /** The calling resource does not exist, is not a compute resource or not a resource id. */
  callerNotFound: 9_800_002,
  /** The calling resource exists but another host (or none) runs it. */
  notHostedHere: 9_800_003,
  /** The host was revoked by the operator (Entra: "application is disabled"). */
  hostRevoked: 7_000_112,
  /** No host with this id is enrolled (Entra: "application not found"). */
  hostNotEnrolled: 700_016,
} as const

/** The compute resource a managed-identity token is requested for. */
export const CALLER_PARAM = 'xms_az_rid'
/** One of these selects a user-assigned identity (none: system-assigned, else the only one). */
export const SELECTOR_PARAMS = {
  clientId: 'mi_client_id',
  objectId: 'mi_object_id',
  resourceId: 'mi_res_id',
} as const
export type SelectorKind = keyof typeof SELECTOR_PARAMS

export const IDENTITY_RESPONSE_FIELDS = ['client_id', 'object_id', 'msi_res_id'] as const
/**
 * In a managed-identity token response when the chosen identity's attachment has process
 * selectors (domain/process-selectors.ts): their canonical JSON. The agent hands the token only
 * to local processes that match; absent, to any process its run admits.
 */
export const PROCESS_SELECTORS_FIELD = 'keyless_selectors'

export interface EnrollRequest {
  joinToken: string
  /** Human-readable host name (e.g. os.hostname()). */
  name: string
  /** SPKI PEM of the host's public key. */
  publicKey: string
}

export interface HostCredentialResponse {
  hostId: string
  tenantId: string
  /** PEM, signed by the Keyless CA. */
  certificate: string
  /** The CA bundle, active CA first (CaResponse). */
  caCertificate: string
  /** Epoch ms. */
  notAfter: number
  /** The token endpoint to use, e.g. https://host:port/<tenant>/oauth2/v2.0/token */
  tokenEndpoint: string
  eventsUrl: string
  /** ARM id of the host's Microsoft.HybridCompute/machines resource, when its join token named a
   * resource group: the agent serves that machine's identity over the Arc protocol. */
  machineResourceId?: string
}

/** The body of a POST to JOIN_TOKENS_PATH (absent: a host without a machine resource). */
export interface JoinTokenRequest {
  /** `/subscriptions/<s>/resourceGroups/<g>`: where the host's machine resource is created. */
  resourceGroupId?: string
  /** Default: the resource group's location. */
  location?: string
}

export interface RenewRequest {
  publicKey: string
}

/** Events the agent acts on (a subset of the server's change log). */
export const AGENT_EVENT_KINDS = [
  'identity.detached',
  'resource.created',
  'principal.deleted',
  'resource.deleted',
  'resource.updated',
  'host.revoked',
] as const

/**
 * POST, as a host (assertion addressed to this URL): the sign-ins its agent answered,
 * `{value: AgentSignIn[]}` (at most AGENT_SIGNINS_MAX a request). The server checks every
 * record, stamps `source: agent` and the host id, and appends all of them or none (400/403 in
 * the hosts API's envelope); 204 when appended. agent/sign-in-recorder.ts batches them.
 */
export const AGENT_SIGNINS_PATH = `${API_PREFIX}/hosts/signins`
export const AGENT_SIGNINS_MAX = 500

/** A sign-in record as an agent reports it: SignInRecord without what the server stamps
 * (`id`, `source`, `hostId`, `ipAddress`, `uniqueTokenIdentifier`). */
export type AgentSignIn = Omit<
  SignInRecord,
  'id' | 'source' | 'hostId' | 'ipAddress' | 'uniqueTokenIdentifier'
>
