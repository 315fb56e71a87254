// The managed-identity grant: an authenticated agent host asks for a token for an identity of a
// compute resource. Issued only if the host runs that resource and the identity is attached to
// it at this moment (checked on every request, so a detach or delete stops new tokens at once).
// The rules themselves are domain/identity-selection.ts; this file reads what they need.
import {
  AgentErrorCodes,
  CALLER_PARAM,
  PROCESS_SELECTORS_FIELD,
  SELECTOR_PARAMS,
  type SelectorKind,
} from '../common/agent-protocol.js'
import { oauthError, OAuthErrors } from '../common/oauth-error.js'
import { parseResourceId, miridForm } from '../domain/resource-id.js'
import { lookupResourceType } from '../domain/resource-types.js'
import { KeylessError } from '../domain/errors.js'
import {
  isHostedBy,
  needsUserIdentities,
  selectIdentity,
  type IdentitySelector,
} from '../domain/identity-selection.js'
import type { HostRow, ResourceRow, ServicePrincipalRow } from '../store/schema.js'
import type { DirectoryReads } from './directory-view.js'
import type { Grant } from './grants.js'
import { single, type TokenRequest } from './token-request.js'

export interface ManagedIdentityGrantOptions {
  lifetimeMs: number
}

const identityNotFound = (detail: string) =>
  oauthError(
    400,
    'invalid_request',
    AgentErrorCodes.identityNotFound,
    `Identity not found. ${detail}`,
  )
const callerNotFound = (detail: string) =>
  oauthError(
    400,
    'invalid_request',
    AgentErrorCodes.callerNotFound,
    `Identity not found. ${detail}`,
  )

function selectorOf(request: TokenRequest): IdentitySelector | undefined {
  const given = (Object.keys(SELECTOR_PARAMS) as SelectorKind[])
    .map((kind) => ({ kind, value: single(request.params, SELECTOR_PARAMS[kind]) }))
    .filter((s): s is IdentitySelector => s.value !== undefined && s.value !== '')
  if (given.length > 1)
    throw oauthError(400, 'invalid_request', 900144, 'At most one identity selector may be given.')
  const s = given[0]
  // A resource id is compared as its key; one that does not parse selects nothing.
  return s?.kind === 'resourceId' ? { kind: s.kind, value: safeKey(s.value) ?? '' } : s
}

/** A pure function of a string, remembered for its last `max` short inputs (throws are not). */
function remembered(fn: (s: string) => string, max = 10_000) {
  const seen = new Map<string, string>()
  return (s: string): string => {
    let v = seen.get(s)
    if (v === undefined) {
      v = fn(s)
      if (s.length <= 1024) seen.set(s, v)
      if (seen.size > max) seen.delete(seen.keys().next().value!)
    }
    return v
  }
}

// Agents ask for the same few resources again and again: their ids are parsed once.
const resourceKeyOf = remembered((raw) => parseResourceId(raw).key)
const miridOf = remembered((id) => miridForm(id))

interface Candidate {
  objectId: string
  appId: string
  resourceKey?: string
  principal: ServicePrincipalRow
  resourceId?: string
  /** The attachment's process selectors, stored form (null: none). */
  selectors: string | null
}

const candidate = (
  principal: ServicePrincipalRow,
  selectors: string | null,
  resource?: { key: string; id: string },
): Candidate => ({
  objectId: principal.object_id,
  appId: principal.app_id,
  principal,
  selectors,
  ...(resource ? { resourceKey: resource.key, resourceId: resource.id } : {}),
})

async function systemIdentityOf(reads: DirectoryReads, caller: ResourceRow) {
  const system = await reads.principalOf(caller.key)
  return system?.identity_kind === 'SystemAssigned'
    ? candidate(system, caller.identity_selectors)
    : undefined
}

async function userIdentitiesOf(reads: DirectoryReads, resourceKey: string): Promise<Candidate[]> {
  const attached = await reads.attachmentsOf(resourceKey)
  return Promise.all(
    attached.map(async (a) =>
      candidate(
        (await reads.principalOf(a.identity_key))!,
        a.selectors,
        (await reads.resource(a.identity_key))!,
      ),
    ),
  )
}

export function createManagedIdentityGrant(o: ManagedIdentityGrantOptions) {
  return async function grant(
    request: TokenRequest,
    host: HostRow,
    reads: DirectoryReads,
  ): Promise<Grant> {
    const callerRaw = single(request.params, CALLER_PARAM)
    if (!callerRaw) throw OAuthErrors.missingParameter(CALLER_PARAM)
    let callerKey: string
    try {
      callerKey = resourceKeyOf(callerRaw)
    } catch (e) {
      if (e instanceof KeylessError) throw callerNotFound(`'${callerRaw}' is not a resource id.`)
      throw e
    }
    const caller = await reads.resource(callerKey)
    if (!caller || lookupResourceType(caller.type)?.isCompute !== true) {
      throw callerNotFound(`The compute resource '${callerRaw}' does not exist.`)
    }
    const localHostId = caller.host_id === null ? (await reads.localHost())?.id : undefined
    if (!isHostedBy(caller.host_id, host.id, localHostId)) {
      throw oauthError(
        400,
        'unauthorized_client',
        AgentErrorCodes.notHostedHere,
        `Host '${host.id}' does not host '${caller.id}'.`,
      )
    }

    const selector = selectorOf(request)
    const system = await systemIdentityOf(reads, caller)
    const users = needsUserIdentities(selector, system)
      ? await userIdentitiesOf(reads, caller.key)
      : []
    const chosen = selectIdentity(selector, system, users)
    if (!chosen) throw identityNotFound(`No matching identity is attached to '${caller.id}'.`)
    const { principal, resourceId: identityResourceId, selectors } = chosen as Candidate

    const mirid = miridOf(identityResourceId ?? caller.id)
    return {
      subject: {
        objectId: principal.object_id,
        appId: principal.app_id,
        appidacr: '2',
        mirid,
        ...(identityResourceId ? { azRid: caller.id } : {}),
      },
      lifetimeMs: o.lifetimeMs,
      response: {
        client_id: principal.app_id,
        object_id: principal.object_id,
        msi_res_id: identityResourceId ?? caller.id,
        // The agent enforces them (agent/process-selection.ts); the canonical text as stored.
        ...(selectors ? { [PROCESS_SELECTORS_FIELD]: selectors } : {}),
      },
    }
  }
}

function safeKey(raw: string): string | undefined {
  try {
    return parseResourceId(raw).key
  } catch {
    return undefined
  }
}
