// Key Vault's error JSON, `{"error":{"code","message","innererror":{"code"}}}` (reference §7):
// the refusals the vault raises, as domain errors, and the one renderer that writes them.
// `extra.innerCode` carries the innererror code; `extra.challenge` asks for WWW-Authenticate.
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  classifyFrameworkError,
  type FrameworkError,
  type FrameworkFailure,
} from '../../common/framework-errors.js'
import {
  BadRequest,
  Conflict,
  Forbidden,
  KeylessError,
  NotFound,
  PayloadTooLarge,
  Unauthenticated,
} from '../../domain/errors.js'

export interface VaultErrorBody {
  error: { code: string; message: string; innererror?: { code: string } }
}

const inner = (code: string) => ({ extra: { innerCode: code } })
const RECOVER_KEY_HINT =
  'If you recently deleted this key you may be able to recover it using the correct recovery command.'
const RECOVER_HINT =
  'If you recently deleted this secret you may be able to recover it using the correct recovery command.'

export const VaultErrors = {
  missingToken: () =>
    new Unauthenticated('Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
      extra: { challenge: true },
    }),
  invalidToken: (message: string) =>
    new Unauthenticated('Unauthorized', message, { extra: { challenge: true } }),
  badParameter: (message: string) => new BadRequest('BadParameter', message),
  vaultNotFound: (host: string) =>
    new NotFound('VaultNotFound', `No vault is served at host '${host}'.`),
  noRoute: (method: string, path: string) =>
    new BadRequest('BadParameter', `The operation ${method} ${path} is not supported.`),
  secretNotFound: (nameOrId: string) =>
    new NotFound(
      'SecretNotFound',
      `A secret with (name/id) ${nameOrId} was not found in this key vault. ${RECOVER_HINT}`,
    ),
  deletedSecretNotFound: (name: string) =>
    new NotFound('SecretNotFound', `Deleted Secret not found: ${name}`),
  secretDisabled: () =>
    new Forbidden(
      'Forbidden',
      'Operation get is not allowed on a disabled secret.',
      inner('SecretDisabled'),
    ),
  deletedButRecoverable: (name: string) =>
    new Conflict(
      'Conflict',
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      inner('ObjectIsDeletedButRecoverable'),
    ),
  alreadyExists: (name: string) =>
    new Conflict('Conflict', `Secret ${name} already exists in this key vault.`),
  purgeProtected: () =>
    new Forbidden(
      'Forbidden',
      'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
    ),
  keyNotFound: (nameOrId: string) =>
    new NotFound(
      'KeyNotFound',
      `A key with (name/id) ${nameOrId} was not found in this key vault. ${RECOVER_KEY_HINT}`,
    ),
  deletedKeyNotFound: (name: string) =>
    new NotFound('KeyNotFound', `Deleted Key not found: ${name}`),
  keyDeletedButRecoverable: (name: string) =>
    new Conflict(
      'Conflict',
      `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`,
      inner('ObjectIsDeletedButRecoverable'),
    ),
  keyAlreadyExists: (name: string) =>
    new Conflict('Conflict', `Key ${name} already exists in this key vault.`),
  keyDisabled: (operation: string) =>
    new Forbidden(
      'Forbidden',
      `Operation ${operation} is not allowed on a disabled key.`,
      inner('KeyDisabled'),
    ),
  keyNotValidNow: (operation: string, why: 'expired' | 'not yet valid') =>
    new Forbidden(
      'Forbidden',
      `Operation ${operation} is not allowed on a key that is ${why}.`,
      inner(why === 'expired' ? 'KeyExpired' : 'KeyNotYetValid'),
    ),
  keyOperationNotPermitted: (operation: string) =>
    new Forbidden(
      'Forbidden',
      `Operation ${operation} is not permitted on this key.`,
      inner('KeyOperationForbidden'),
    ),
  forbiddenByRbac: (message: string) =>
    new Forbidden('Forbidden', message, inner('ForbiddenByRbac')),
}

export function vaultErrorBody(e: KeylessError): VaultErrorBody {
  if (!e.expose) {
    return {
      error: {
        code: 'InternalServerError',
        message: 'The service encountered an internal error. Please retry the request.',
      },
    }
  }
  const innerCode = e.extra?.innerCode
  return {
    error: {
      code: e.code,
      message: e.message,
      ...(typeof innerCode === 'string' ? { innererror: { code: innerCode } } : {}),
    },
  }
}

/** The framework's errors in Key Vault's terms, one row per kind of the shared table. */
const FRAMEWORK: Record<FrameworkFailure, (f: FrameworkError) => KeylessError> = {
  'unsupported-media-type': () =>
    VaultErrors.badParameter('The request content type is not supported.'),
  'body-too-large': () =>
    new PayloadTooLarge('RequestEntityTooLarge', 'The request body is too large.'),
  'invalid-json': () => VaultErrors.badParameter('The request body is not valid JSON.'),
  'invalid-content-length': () =>
    VaultErrors.badParameter('The request body is not as long as its Content-Length.'),
  validation: (f) => VaultErrors.badParameter(`The request is not valid: ${f.detail}.`),
  'bad-request': (f) => VaultErrors.badParameter(`The request is not valid: ${f.detail}.`),
}

/** Foreign errors (Fastify's body parsing and limits, bugs) as domain errors. */
export function toVaultError(err: unknown, request: FastifyRequest): KeylessError {
  if (err instanceof KeylessError) return err
  const framework = classifyFrameworkError(err, request)
  if (framework) return FRAMEWORK[framework.kind](framework)
  return new KeylessError(500, 'InternalServerError', 'internal error', { cause: err })
}

export function createVaultErrorHandler(challenge: () => string) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const e = toVaultError(err, request)
    if (!e.expose) request.log.error({ err }, 'vault request failed')
    if (e.extra?.challenge === true) reply.header('www-authenticate', challenge())
    const headers = e.extra?.headers as Record<string, string> | undefined
    return reply
      .headers(headers ?? {})
      .code(e.status)
      .type('application/json; charset=utf-8')
      .send(vaultErrorBody(e))
  }
}
