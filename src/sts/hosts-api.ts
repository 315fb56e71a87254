// Keyless's host API (/keyless/v1): the operator creates join tokens, lists and revokes hosts;
// agents enroll with a join token and renew with their current credential. Errors use the
// control plane's envelope.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import {
  AGENT_SIGNINS_MAX,
  AGENT_SIGNINS_PATH,
  AgentErrorCodes,
  CA_PATH,
  ENROLL_PATH,
  EVENTS_PATH,
  HOSTS_PATH,
  JOIN_TOKENS_PATH,
  PLACEMENTS_PATH,
  RENEW_PATH,
  tokenEndpointPath,
  type CaResponse,
  type EnrollRequest,
  type HostCredentialResponse,
  type JoinTokenRequest,
  type RenewRequest,
} from '../common/agent-protocol.js'
import { bearerToken } from '../common/access-token.js'
import { errorEnvelope } from '../common/error-envelope.js'
import { classifyFrameworkError } from '../common/framework-errors.js'
import {
  BadRequest,
  Forbidden,
  KeylessError,
  PayloadTooLarge,
  Throttled,
  Unauthenticated,
} from '../domain/errors.js'
import type { HostRegistry, IssuedHostCredential } from '../directory/hosts.js'
import type { ChangeFeed } from '../directory/change-feed.js'
import type { HostAuthenticator } from './host-assertion.js'
import { registerEventsApi } from './events-api.js'
import { createEnrollLimiter, type EnrollLimits } from './enroll-limiter.js'
import type { Clock } from '../domain/clock.js'
import { callersToCheck, readAgentSignIns } from '../domain/agent-sign-ins.js'
import type { SignInStore } from '../store/store.js'
import type { DirectoryView } from './directory-view.js'
import { isHostedBy } from '../domain/identity-selection.js'
import { ONBOARD_MACHINE_ACTION, parseMachineGroup } from '../domain/machines.js'

export interface HostsApiOptions {
  hosts: HostRegistry
  clock: Clock
  enrollLimits?: Partial<EnrollLimits>
  authenticateHost: HostAuthenticator
  /** Throws unless the bearer token belongs to a caller allowed to manage hosts. */
  authorizeOperator: (request: FastifyRequest, action: string, scope?: string) => Promise<void>
  /** The CA bundle, active CA first. */
  caCertPem: string
  tenantId: string
  authority: () => string
  feed: ChangeFeed
  /** Where agents' sign-ins go (absent: the sign-in log is off, and reports are dropped). */
  signIns?: { store: Pick<SignInStore, 'append'>; directory: DirectoryView }
}

const publicKeySchema = { type: 'string', minLength: 64, maxLength: 4096 }

export async function hostsApi(app: FastifyInstance, o: HostsApiOptions): Promise<void> {
  // JSON bodies; an empty body is no body (clients send the content type on body-less POSTs).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    body === '' ? done(null, undefined) : parseJson(req, body as string, done),
  )
  app.setErrorHandler((err, req, reply) => {
    const e = toKeylessError(err, req)
    if (!e.expose) req.log.error({ err }, 'request failed')
    const headers = e.extra?.headers as Record<string, string> | undefined
    return reply
      .code(e.status)
      .headers(headers ?? {})
      .send(errorEnvelope(e))
  })

  const credential = (issued: IssuedHostCredential): HostCredentialResponse => ({
    hostId: issued.host.id,
    tenantId: o.tenantId,
    certificate: issued.certificate,
    caCertificate: o.caCertPem,
    notAfter: issued.host.certificateNotAfter,
    tokenEndpoint: `${o.authority()}${tokenEndpointPath(o.tenantId)}`,
    eventsUrl: `${o.authority()}${EVENTS_PATH}`,
    ...(issued.host.machineId ? { machineResourceId: issued.host.machineId } : {}),
  })

  registerEventsApi(app, {
    feed: o.feed,
    authenticateHost: o.authenticateHost,
    authority: o.authority,
    authorizeOperator: o.authorizeOperator,
  })

  const limiter = createEnrollLimiter(o.clock, o.enrollLimits)

  // A token for a machine in a resource group is ARM's decision at that group (who may onboard
  // machines there); a token for a bare host is the installation's (Keyless/hosts/write at '/').
  app.post<{ Body: unknown }>(JOIN_TOKENS_PATH, async (req, reply) => {
    const body = readJoinTokenRequest(req.body)
    if (body.resourceGroupId === undefined) {
      await o.authorizeOperator(req, 'Keyless/hosts/write')
      return reply.code(201).send(await o.hosts.createJoinToken())
    }
    const group = parseMachineGroup(body.resourceGroupId)
    await o.authorizeOperator(req, ONBOARD_MACHINE_ACTION, group.id)
    return reply
      .code(201)
      .send(await o.hosts.createJoinToken({ machine: { group, location: body.location } }))
  })

  app.get(PLACEMENTS_PATH, async (req) => {
    const assertion = bearerToken(req.headers.authorization)
    if (!assertion)
      throw new Unauthenticated('AuthenticationFailed', 'a host assertion is required')
    const host = await o.authenticateHost(assertion, `${o.authority()}${PLACEMENTS_PATH}`)
    return { value: await o.hosts.placements(host.id) }
  })

  // An agent's sign-ins: checked whole, placed on this host, appended whole (one transaction).
  app.post<{ Body: unknown }>(AGENT_SIGNINS_PATH, async (req, reply) => {
    const assertion = bearerToken(req.headers.authorization)
    if (!assertion)
      throw new Unauthenticated('AuthenticationFailed', 'a host assertion is required')
    const host = await o.authenticateHost(assertion, `${o.authority()}${AGENT_SIGNINS_PATH}`)
    const records = readAgentSignIns(req.body, host.id, AGENT_SIGNINS_MAX, randomUUID)
    if (!o.signIns) return reply.code(204).send()
    const reads = o.signIns.directory()
    const notThere = [AgentErrorCodes.notHostedHere, AgentErrorCodes.callerNotFound]
    for (const [key, id] of callersToCheck(records, notThere)) {
      const resource = await reads.resource(key)
      const local = resource?.host_id === null ? (await reads.localHost())?.id : undefined
      if (!resource || !isHostedBy(resource.host_id, host.id, local)) {
        throw new Forbidden(
          'AuthorizationFailed',
          `host '${host.id}' may not report sign-ins of '${id}': it is not placed on it`,
        )
      }
    }
    await o.signIns.store.append(
      records.map((record) => ({ createdAt: Date.parse(record.createdDateTime), record })),
    )
    return reply.code(204).send()
  })

  // Public certificates, but only to hosts: an agent follows a CA rotation from here.
  app.get(CA_PATH, async (req): Promise<CaResponse> => {
    const assertion = bearerToken(req.headers.authorization)
    if (!assertion)
      throw new Unauthenticated('AuthenticationFailed', 'a host assertion is required')
    await o.authenticateHost(assertion, `${o.authority()}${CA_PATH}`)
    return { caCertificate: o.caCertPem }
  })

  app.get(HOSTS_PATH, async (req) => {
    await o.authorizeOperator(req, 'Keyless/hosts/read')
    return { value: await o.hosts.list() }
  })

  app.post<{ Params: { hostId: string } }>(`${HOSTS_PATH}/:hostId/revoke`, async (req) => {
    await o.authorizeOperator(req, 'Keyless/hosts/revoke/action')
    return o.hosts.revoke(req.params.hostId)
  })

  app.post<{ Body: EnrollRequest }>(
    ENROLL_PATH,
    {
      schema: {
        body: {
          type: 'object',
          required: ['joinToken', 'name', 'publicKey'],
          additionalProperties: false,
          properties: {
            joinToken: { type: 'string', minLength: 1, maxLength: 256 },
            name: { type: 'string', minLength: 1, maxLength: 256 },
            publicKey: publicKeySchema,
          },
        },
      },
    },
    async (req, reply) => {
      const address = req.socket.remoteAddress ?? ''
      const wait = limiter.admit(address)
      if (wait > 0) {
        const e = new Throttled(
          'TooManyRequests',
          'too many enrollment attempts; retry later',
          wait,
        )
        return reply.code(429).header('retry-after', String(wait)).send(errorEnvelope(e))
      }
      try {
        const issued = await o.hosts.enroll(req.body.joinToken, req.body.name, req.body.publicKey)
        return await reply.code(201).send(credential(issued))
      } catch (err) {
        if (err instanceof KeylessError && err.status === 401) limiter.failed(address)
        throw err
      }
    },
  )

  app.post<{ Body: RenewRequest }>(
    RENEW_PATH,
    {
      schema: {
        body: {
          type: 'object',
          required: ['publicKey'],
          additionalProperties: false,
          properties: { publicKey: publicKeySchema },
        },
      },
    },
    async (req) => {
      const assertion = bearerToken(req.headers.authorization)
      if (!assertion)
        throw new Unauthenticated('AuthenticationFailed', 'a host assertion is required')
      const host = await o.authenticateHost(assertion, `${o.authority()}${RENEW_PATH}`)
      return credential(await o.hosts.renew(host.id, req.body.publicKey))
    },
  )
}

/** The body of a join-token request: none, or only the fields JoinTokenRequest names. */
function readJoinTokenRequest(body: unknown): JoinTokenRequest {
  if (body === undefined || body === null) return {}
  const invalid = (message: string, target?: string) =>
    new BadRequest('InvalidRequestContent', message, target ? { target } : undefined)
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be an object')
  const fields = body as Record<string, unknown>
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'resourceGroupId' && key !== 'location') {
      throw invalid(`unknown property '${key}'`, key)
    }
    if (typeof value !== 'string' || value === '' || value.length > 1024) {
      throw invalid(`${key} must be a non-empty string`, key)
    }
  }
  if (fields.location !== undefined && fields.resourceGroupId === undefined) {
    throw invalid('location needs resourceGroupId', 'location')
  }
  return fields as JoinTokenRequest
}

/** Keyless's own errors as they are; the framework's in the envelope's terms; the rest a 500. */
function toKeylessError(err: unknown, req: FastifyRequest): KeylessError {
  if (err instanceof KeylessError) return err
  const framework = classifyFrameworkError(err, req)
  if (framework?.kind === 'body-too-large') {
    return new PayloadTooLarge(
      'RequestContentTooLarge',
      `the request body is larger than ${framework.limitBytes ?? 0} bytes`,
    )
  }
  if (framework?.kind === 'unsupported-media-type') {
    return new KeylessError(
      415,
      'UnsupportedMediaType',
      'the request content type is not supported',
    )
  }
  if (framework) {
    return new BadRequest('InvalidRequestContent', `the request is invalid: ${framework.detail}`)
  }
  return new KeylessError(500, 'InternalServerError', 'internal error', { cause: err })
}
