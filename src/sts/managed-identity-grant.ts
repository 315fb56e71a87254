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
import type { Store } from '../store/store.js'
import type { Grant } from './authenticate-client.js'
import type { HostAuthenticator } from './host-assertion.js'
import { single, type TokenRequest } from './token-request.js'

export interface ManagedIdentityGrantOptions {
  store: Pick<Store, 'resources' | 'principals' | 'attachments' | 'hosts'>
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

export function createManagedIdentityGrant(o: ManagedIdentityGrantOptions) {
  const { store } = o

  async function identitiesOf(resourceKey: string) {
    const system = await store.principals.fetchByResource(resourceKey)
    const attached = await store.attachments.listByResource(resourceKey)
    const user = await Promise.all(
      attached.map(async (a) => ({
        principal: (await store.principals.fetchByResource(a.identity_key))!,
        resource: (await store.resources.fetch(a.identity_key))!,
      })),
    )
    return { system: system?.identity_kind === 'SystemAssigned' ? system : undefined, user }
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
    const host = await o.authenticateHost(request.clientAssertion!, o.audiences())
    if (request.clientId !== host.id)
      throw oauthError(401, 'invalid_client', 700021, 'client_id must be the host id.')

    const callerRaw = single(request.params, CALLER_PARAM)
    if (!callerRaw) throw OAuthErrors.missingParameter(CALLER_PARAM)
    let callerKey: string
    try {
      callerKey = parseResourceId(callerRaw).key
    } catch (e) {
      if (e instanceof KeylessError) throw identityNotFound(`'${callerRaw}' is not a resource id.`)
      throw e
    }
    const caller = await store.resources.fetch(callerKey)
    if (!caller || lookupResourceType(caller.type)?.isCompute !== true) {
      throw identityNotFound(`The compute resource '${callerRaw}' does not exist.`)
    }
    const hostedBy = caller.host_id ?? (await store.hosts.fetchLocal())?.id
    if (hostedBy !== host.id) {
      throw oauthError(
        400,
        'unauthorized_client',
        700016,
        `Host '${host.id}' does not host '${caller.id}'.`,
      )
    }

    const { system, user } = await identitiesOf(caller.key)
    const selector = selectorOf(request)
    let chosen: { principal: ServicePrincipalRow; identityResourceId?: string } | undefined
    const userChoice = (u: (typeof user)[number]) => ({
      principal: u.principal,
      identityResourceId: u.resource.id,
    })
    if (!selector) {
      if (system) chosen = { principal: system }
      else if (user.length === 1) chosen = userChoice(user[0]!)
    } else if (selector.kind === 'resourceId') {
      const key = safeKey(selector.value)
      const u = user.find((x) => x.resource.key === key)
      if (u) chosen = userChoice(u)
    } else {
      const v = selector.value.toLowerCase()
      const field = selector.kind === 'clientId' ? 'app_id' : 'object_id'
      const u = user.find((x) => x.principal[field] === v)
      if (system?.[field] === v) chosen = { principal: system }
      else if (u) chosen = userChoice(u)
    }
    if (!chosen) throw identityNotFound(`No matching identity is attached to '${caller.id}'.`)
    const { principal, identityResourceId } = chosen

    const mirid = miridForm(identityResourceId ?? caller.id)
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
