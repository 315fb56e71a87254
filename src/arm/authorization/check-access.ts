// POST /keyless/v1/checkAccess: RBAC decisions for users' own services (src/verify's authorizer
// sends `{principalId, actions, scope, explain?}` and reads `{value:[{action, allowed,
// explanation?}]}`), served in the control plane's context: a management token, ARM's errors.
// With `explain` each decision also carries the structured AccessDecision. `dataAction: true`
// decides the actions as data actions (blob reads, secret gets).
//
// Who may ask: any caller about itself, as with the permissions API. Asking about another
// principal needs `Microsoft.Authorization/roleAssignments/read` at the scope (Reader has it):
// whoever may read the assignments there can work the answer out anyway, and nobody else learns
// another principal's access from Keyless.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Authz } from '../../authz/index.js'
import { API_PREFIX } from '../../common/agent-protocol.js'
import { BadRequest } from '../../domain/errors.js'
import { isGuid } from '../../domain/rbac/role-ids.js'
import { parseScope } from '../../domain/resource-id.js'
import { ROLE_ASSIGNMENTS } from '../actions.js'
import type { Caller } from '../authenticate.js'
import { authorize, type CheckAccess } from '../authorize.js'
import { validateBody } from '../schemas.js'
import { explanationOf } from './explanation.js'

export const CHECK_ACCESS_PATH = `${API_PREFIX}/checkAccess`
const MAX_ACTIONS = 100

const checkAccessSchema = {
  type: 'object',
  required: ['principalId', 'actions', 'scope'],
  properties: {
    principalId: { type: 'string' },
    actions: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_ACTIONS,
      items: { type: 'string', minLength: 1, maxLength: 1024 },
    },
    scope: { type: 'string', minLength: 1, maxLength: 4096 },
    explain: { type: 'boolean' },
    dataAction: { type: 'boolean' },
  },
} as const

interface CheckAccessBody {
  principalId: string
  actions: string[]
  scope: string
  explain?: boolean
  dataAction?: boolean
}

export interface CheckAccessRouteOptions {
  authz: Authz
  checkAccess: CheckAccess
  callerOf: (request: FastifyRequest) => Caller
}

export function registerCheckAccess(app: FastifyInstance, o: CheckAccessRouteOptions): void {
  app.post(CHECK_ACCESS_PATH, { config: { commitsNoChanges: true } }, async (request, reply) => {
    const body = validateBody<CheckAccessBody>(request, checkAccessSchema)
    if (!isGuid(body.principalId)) {
      throw new BadRequest(
        'InvalidPrincipalId',
        `The principal ID '${body.principalId}' is not valid: it must be a GUID.`,
        { target: 'principalId' },
      )
    }
    const principalId = body.principalId.toLowerCase()
    const scope = parseScope(body.scope).id
    const caller = o.callerOf(request)
    if (principalId !== caller.objectId.toLowerCase()) {
      const primary = { action: `${ROLE_ASSIGNMENTS}/read`, scope }
      await authorize(caller, { primary, linked: [] }, o.checkAccess)
    }
    const options = { dataAction: body.dataAction === true }
    const value = body.actions.map((action) => {
      if (!body.explain) {
        return { action, allowed: o.authz.checkAccess(principalId, action, scope, options) }
      }
      const decision = o.authz.explain(principalId, action, scope, options)
      const explanation = explanationOf({ principalId, action, scope }, decision)
      return { action, allowed: decision.allowed, explanation, decision }
    })
    return reply.send({ value })
  })
}
