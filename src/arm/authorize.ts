// Authorization of control-plane requests: one seam where a decision is asked for each check
// of actions.ts. The RBAC engine decides (index.ts plugs it in), the operator's requests
// included. Denials carry ARM's codes and messages ([ISS] Azure/ARO-RP#66).
import { Forbidden } from '../domain/errors.js'
import type { AccessCheck, RequiredAccess } from './actions.js'
import type { Caller } from './authenticate.js'

/** Whether `caller` may perform `check.action` at `check.scope`. */
export type CheckAccess = (caller: Caller, check: AccessCheck) => boolean | Promise<boolean>

/**
 * Actions only the operator may perform, whatever the roles say: decided by identity, so that
 * no role or deny assignment can grant them to anyone else or take them from the operator.
 * Keyless's deny assignments are such (Azure lets only Azure itself create them).
 */
export function reserveForOperator(
  operatorObjectId: string,
  actions: readonly string[],
  checkAccess: CheckAccess,
): CheckAccess {
  const operator = operatorObjectId.toLowerCase()
  const reserved = new Set(actions.map((a) => a.toLowerCase()))
  return (caller, check) =>
    reserved.has(check.action.toLowerCase())
      ? caller.objectId.toLowerCase() === operator
      : checkAccess(caller, check)
}

export function authorizationFailed(caller: Caller, check: AccessCheck): Forbidden {
  const who = `The client '${caller.objectId}' with object id '${caller.objectId}'`
  return new Forbidden(
    'AuthorizationFailed',
    `${who} does not have authorization to perform action '${check.action}' over scope '${check.scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  )
}

function linkedAuthorizationFailed(
  caller: Caller,
  primary: AccessCheck,
  denied: AccessCheck[],
): Forbidden {
  const who = `The client '${caller.objectId}' with object id '${caller.objectId}'`
  const actions = denied.map((c) => c.action).join(',')
  const scopes = denied.map((c) => c.scope).join(',')
  return new Forbidden(
    'LinkedAuthorizationFailed',
    `${who} has permission to perform action '${primary.action}' on scope '${primary.scope}'; however, it does not have permission to perform action(s) '${actions}' on the linked scope(s) '${scopes}' (respectively) or the linked scope(s) are invalid.`,
  )
}

/** Throws 403 `AuthorizationFailed` or `LinkedAuthorizationFailed` unless every check passes. */
export async function authorize(
  caller: Caller,
  required: RequiredAccess,
  checkAccess: CheckAccess,
): Promise<void> {
  const { primary } = required
  if (primary && !(await checkAccess(caller, primary))) {
    throw authorizationFailed(caller, primary)
  }
  const denied: AccessCheck[] = []
  for (const check of required.linked) {
    if (!(await checkAccess(caller, check))) denied.push(check)
  }
  if (denied.length === 0) return
  throw primary
    ? linkedAuthorizationFailed(caller, primary, denied)
    : authorizationFailed(caller, denied[0]!)
}
