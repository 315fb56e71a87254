// The federation API. GET /keyless/v1/federation/issuer: Keyless as an issuer for other clouds,
// the discovery document and JWKS to publish (`keyless oidc export`) and when to publish them
// again; public, as what it answers is published anyway.
//
// The federation dry run, POST /keyless/v1/federation/test: what the token endpoint would
// answer for an external token presented as a user-assigned identity's client assertion, and
// for each of the identity's federated credentials whether it would match and, if not, which
// claim differed. It runs the token endpoint's own checks (FederatedAssertions.explain), fetching
// the issuer's keys as an exchange would, but takes no single use and issues nothing.
//
// Who may ask: whoever may read the identity's federated credentials
// (`…/federatedIdentityCredentials/read` at the identity; Reader has it). An identity that does
// not exist is authorized at the root scope first, so its absence is told only to a caller who
// could list every identity anyway. Errors use the control plane's envelope.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FEDERATION_ISSUER_PATH, FEDERATION_TEST_PATH } from '../common/agent-protocol.js'
import type { Clock } from '../domain/clock.js'
import type { RotationPolicy } from '../domain/key-rotation.js'
import { nextExportWindow, staticDiscovery } from '../domain/oidc-issuer.js'
import type { KeyRing } from './key-ring.js'
import { errorEnvelope } from '../common/error-envelope.js'
import { classifyFrameworkError } from '../common/framework-errors.js'
import { BadRequest, KeylessError, NotFound } from '../domain/errors.js'
import { audienceFromScope } from '../domain/token-claims.js'
import type { FederatedCredentialRule } from '../domain/federated-match.js'
import type { Store } from '../store/store.js'
import { userAssignedIdentity } from './authenticate-client.js'
import {
  credentialRule,
  type Explanation,
  type FederatedAssertions,
} from './federated-assertion.js'

export const READ_FEDERATED_CREDENTIALS =
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read'

export interface FederationTestApiOptions {
  store: Pick<Store, 'principals' | 'resources' | 'federatedCredentials'>
  federated: Pick<FederatedAssertions, 'explain'>
  tenantId: string
  authorizeOperator: (request: FastifyRequest, action: string, scope?: string) => Promise<void>
  keyRing: Pick<KeyRing, 'jwks' | 'publishedTimes'>
  policy: Pick<RotationPolicy, 'prePublishMs'>
  algorithm: string
  clock: Clock
  /** The issuer federation tokens carry (public or v1). */
  issuer: (tenantId: string) => string
}

const bodySchema = {
  type: 'object',
  required: ['clientId', 'assertion'],
  additionalProperties: false,
  properties: {
    clientId: { type: 'string', minLength: 1, maxLength: 64 },
    assertion: { type: 'string', minLength: 1, maxLength: 16_384 },
    scope: { type: 'string', minLength: 1, maxLength: 2048 },
  },
} as const

interface TestBody {
  clientId: string
  assertion: string
  scope?: string
}

const DEFAULT_SCOPE = 'https://management.azure.com/.default'

/** The answer's shape: Entra's refusal as the token endpoint would send it, and per credential. */
export function dryRunReport(
  ex: Explanation,
  credentials: readonly FederatedCredentialRule[],
): Record<string, unknown> {
  const rules = new Map(credentials.map((c) => [c.name, c]))
  const refusal = ex.error && {
    status: ex.error.status,
    error: ex.error.code,
    errorCode: (ex.error.extra?.aadsts as number | undefined) ?? 50000,
    message: ex.error.message,
  }
  return {
    wouldIssue: ex.error === undefined,
    refusal: refusal ?? null,
    replayed: ex.replayed,
    claimsVerified: ex.claimsVerified,
    claims: ex.claims ?? null,
    matchedCredential: ex.credential?.name ?? null,
    credentials: (ex.perCredential ?? []).map(({ name, match }) => {
      const rule = rules.get(name)
      return {
        name,
        issuer: rule?.issuer,
        ...(rule?.subject !== undefined && { subject: rule.subject }),
        ...(rule?.claimsMatchingExpression && {
          claimsMatchingExpression: rule.claimsMatchingExpression.value,
        }),
        audiences: rule?.audiences,
        matches: match.ok,
        ...(!match.ok && {
          errorCode: Number(match.code.slice('AADSTS'.length)),
          claim: match.claim ?? null,
          reason: match.message,
        }),
      }
    }),
  }
}

export async function federationTestApi(
  app: FastifyInstance,
  o: FederationTestApiOptions,
): Promise<void> {
  app.setErrorHandler((err, req, reply) => {
    const e = toKeylessError(err, req)
    if (!e.expose) req.log.error({ err }, 'request failed')
    return reply.code(e.status).send(errorEnvelope(e))
  })

  app.get(FEDERATION_ISSUER_PATH, async () => {
    const iso = (ms: number) => new Date(ms).toISOString()
    const window = nextExportWindow(o.keyRing.publishedTimes(), o.policy, o.clock.now())
    const issuer = o.issuer(o.tenantId)
    return {
      issuer,
      discovery: staticDiscovery(issuer, o.algorithm),
      jwks: o.keyRing.jwks(),
      keys: o.keyRing.publishedTimes().map((k) => ({
        kid: k.kid,
        signsFrom: iso(k.activateAt),
        signsUntil: iso(k.retireAt),
        publishedUntil: iso(k.expireAt),
      })),
      exportAgain: window ? { after: iso(window.after), before: iso(window.before) } : null,
    }
  })

  app.post(FEDERATION_TEST_PATH, async (request) => {
    const validate = request.compileValidationSchema(bodySchema, 'body')
    if (validate(request.body) !== true) {
      const first = validate.errors?.[0]
      throw new BadRequest(
        'InvalidRequestContent',
        `The request body is invalid: ${first?.instancePath || 'body'} ${first?.message ?? ''}. ` +
          'Send {"clientId": "<identity client id>", "assertion": "<JWT>", "scope": "<optional>"}.',
      )
    }
    const body = request.body as TestBody
    const scope = body.scope ?? DEFAULT_SCOPE
    const resource = audienceFromScope(scope)
    if (!resource) {
      throw new BadRequest('InvalidScope', `The scope '${scope}' is not a valid scope.`, {
        target: 'scope',
      })
    }
    let identity: Awaited<ReturnType<typeof userAssignedIdentity>>
    try {
      identity = await userAssignedIdentity(o.store, body.clientId, o.tenantId)
    } catch {
      await o.authorizeOperator(request, READ_FEDERATED_CREDENTIALS, '/')
      throw new NotFound(
        'ResourceNotFound',
        `No user-assigned identity has the client id '${body.clientId}'.`,
      )
    }
    await o.authorizeOperator(request, READ_FEDERATED_CREDENTIALS, identity.resource.id)
    const ex = await o.federated.explain(body.assertion, identity, resource)
    const credentials = await o.store.federatedCredentials.list(identity.resource.key)
    return {
      identity: identity.resource.id,
      clientId: identity.principal.app_id,
      resource,
      ...dryRunReport(ex, credentials.map(credentialRule)),
    }
  })
}

function toKeylessError(err: unknown, req: FastifyRequest): KeylessError {
  if (err instanceof KeylessError) return err
  const framework = classifyFrameworkError(err, req)
  if (framework) {
    return new BadRequest('InvalidRequestContent', `The request is invalid: ${framework.detail}`)
  }
  return new KeylessError(500, 'InternalServerError', 'internal error', { cause: err })
}
