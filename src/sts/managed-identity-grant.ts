// The managed-identity grant: an authenticated agent host asks for a token for an identity of a
// compute resource. Issued only if the host hosts that resource and the identity is attached to
// it at this moment (checked on every request, so a detach or delete stops new tokens at once).
// Selection follows IMDS: a selector picks a user-assigned identity (or the system one by its
// own ids); none picks the system-assigned identity, else the only user-assigned one.
import {
  ASSERTION_TYPE,
  CALLER_PARAM,
  SELECTOR_PARAMS,
  type SelectorKind,
} from '../common/agent-protocol.js'
import { oauthError, OAuthErrors } from '../common/oauth-error.js'
import { parseResourceId, miridForm } from '../domain/resource-id.js'
import { lookupResourceType } from '../domain/resource-types.js'
import { KeylessError } from '../domain/errors.js'
import type { ServicePrincipalRow } from '../store/schema.js'
import type { DirectoryReads, DirectoryView } from './directory-view.js'
import type { Grant } from './authenticate-client.js'
import type { HostAuthenticator } from './host-assertion.js'
import { single, type TokenRequest } from './token-request.js'

export interface ManagedIdentityGrantOptions {
  /** Directory reads, exact as of each request (see directory-view.ts). */
  directory: DirectoryView
  authenticateHost: HostAuthenticator
  /** The URLs an assertion may be addressed to (the v1 and v2 token endpoints). */
  audiences: () => string[]
  lifetimeMs: number
}

const identityNotFound = (detail: string) =>
  oauthError(400, 'invalid_request', 500011, `Identity not found. ${detail}`)

function selectorOf(request: TokenRequest): { kind: SelectorKind; value: string } | undefined {
  const given = (Object.keys(SELECTOR_PARAMS) as SelectorKind[])
    .map((kind) => ({ kind, value: single(request.params, SELECTOR_PARAMS[kind]) }))
    .filter(
      (s): s is { kind: SelectorKind; value: string } => s.value !== undefined && s.value !== '',
    )
  if (given.length > 1)
    throw oauthError(400, 'invalid_request', 900144, 'At most one identity selector may be given.')
  return given[0]
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

export function createManagedIdentityGrant(o: ManagedIdentityGrantOptions) {
  async function systemIdentityOf(reads: DirectoryReads, resourceKey: string) {
    const system = await reads.principalOf(resourceKey)
    return system?.identity_kind === 'SystemAssigned' ? system : undefined
  }

  async function userIdentitiesOf(reads: DirectoryReads, resourceKey: string) {
    const attached = await reads.attachmentsOf(resourceKey)
    return Promise.all(
      attached.map(async (a) => ({
        principal: (await reads.principalOf(a.identity_key))!,
        resource: (await reads.resource(a.identity_key))!,
      })),
    )
  }

  return async function grant(request: TokenRequest): Promise<Grant> {
    if (request.clientAssertionType !== ASSERTION_TYPE) {
      throw oauthError(
        400,
        'invalid_request',
        700023,
        `client_assertion_type must be ${ASSERTION_TYPE}.`,
      )
    }
    const reads = o.directory()
    const host = await o.authenticateHost(request.clientAssertion!, o.audiences(), reads.host)
    if (request.clientId !== host.id)
      throw oauthError(401, 'invalid_client', 700021, 'client_id must be the host id.')

    const callerRaw = single(request.params, CALLER_PARAM)
    if (!callerRaw) throw OAuthErrors.missingParameter(CALLER_PARAM)
    let callerKey: string
    try {
      callerKey = resourceKeyOf(callerRaw)
    } catch (e) {
      if (e instanceof KeylessError) throw identityNotFound(`'${callerRaw}' is not a resource id.`)
      throw e
    }
    const caller = await reads.resource(callerKey)
    if (!caller || lookupResourceType(caller.type)?.isCompute !== true) {
      throw identityNotFound(`The compute resource '${callerRaw}' does not exist.`)
    }
    const hostedBy = caller.host_id ?? (await reads.localHost())?.id
    if (hostedBy !== host.id) {
      throw oauthError(
        400,
        'unauthorized_client',
        700016,
        `Host '${host.id}' does not host '${caller.id}'.`,
      )
    }

    // Exact as of this request (directory-view.ts); user-assigned identities are read only when
    // the choice needs them.
    const system = await systemIdentityOf(reads, caller.key)
    const selector = selectorOf(request)
    let chosen: { principal: ServicePrincipalRow; identityResourceId?: string } | undefined
    type UserIdentity = Awaited<ReturnType<typeof userIdentitiesOf>>[number]
    const userChoice = (u: UserIdentity) => ({
      principal: u.principal,
      identityResourceId: u.resource.id,
    })
    if (!selector) {
      if (system) chosen = { principal: system }
      else {
        const user = await userIdentitiesOf(reads, caller.key)
        if (user.length === 1) chosen = userChoice(user[0]!)
      }
    } else if (selector.kind === 'resourceId') {
      const key = safeKey(selector.value)
      const u = (await userIdentitiesOf(reads, caller.key)).find((x) => x.resource.key === key)
      if (u) chosen = userChoice(u)
    } else {
      const v = selector.value.toLowerCase()
      const field = selector.kind === 'clientId' ? 'app_id' : 'object_id'
      if (system?.[field] === v) chosen = { principal: system }
      else {
        const u = (await userIdentitiesOf(reads, caller.key)).find((x) => x.principal[field] === v)
        if (u) chosen = userChoice(u)
      }
    }
    if (!chosen) throw identityNotFound(`No matching identity is attached to '${caller.id}'.`)
    const { principal, identityResourceId } = chosen

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
