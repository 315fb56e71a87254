// `keyless/verify`: accept Keyless tokens in your own Node service and ask Keyless's RBAC what
// a caller may do. Imports only domain/ and common/ (it runs in users' processes).

/**
 * Verifies Keyless access tokens: signature against Keyless's JWKS (cached, refetched on an
 * unknown key id at most once per cooldown), a strict algorithm allow-list, issuer, audience,
 * tenant and lifetime, with a bounded cache of tokens already verified.
 *
 * @example
 * ```js
 * import { createVerifier } from 'keyless/verify'
 * const endpoints = JSON.parse(fs.readFileSync('.keyless/endpoints.json', 'utf8'))
 * const verifier = createVerifier({
 *   authority: endpoints.authorityHost,
 *   tenantId: endpoints.tenantId,
 *   audience: 'api://orders',
 *   ca: fs.readFileSync(endpoints.caCertFile), // unless NODE_EXTRA_CA_CERTS already trusts it
 * })
 * const caller = await verifier.verify(token) // throws KeylessVerifyError (status 401)
 * console.log(caller.objectId, caller.managedIdentityResourceId)
 * ```
 */
export {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type KeylessPrincipal,
} from './verifier.js'

/**
 * Asks Keyless's checkAccess API whether a principal may perform an action at a scope, with a
 * short cache (default 1 s) that `invalidate()` clears.
 *
 * @example
 * ```js
 * import { ManagedIdentityCredential } from '@azure/identity'
 * import { createAuthorizer } from 'keyless/verify'
 * const credential = new ManagedIdentityCredential()
 * const authz = createAuthorizer({
 *   managementEndpoint: endpoints.managementEndpoint,
 *   getToken: async () => (await credential.getToken(`${endpoints.managementEndpoint}/.default`)).token,
 * })
 * if (!(await authz.authorize(caller.objectId, 'Contoso.Orders/orders/read', scope))) reply.code(403)
 * ```
 */
export {
  createAuthorizer,
  CHECK_ACCESS_PATH,
  type Authorizer,
  type AuthorizerOptions,
  type AccessDecision,
} from './authorizer.js'

/**
 * Middleware: `keylessFastify(verifier)` (register it; `request.keyless` holds the caller),
 * `keylessExpress(verifier)` (`req.keyless`), and for plain node:http
 * `authenticateRequest(verifier, req)` with `sendVerifyError(res, err)`.
 *
 * @example
 * ```js
 * import http from 'node:http'
 * import { authenticateRequest, sendVerifyError } from 'keyless/verify'
 * http.createServer(async (req, res) => {
 *   try {
 *     const caller = await authenticateRequest(verifier, req)
 *     res.end(`hello ${caller.objectId}`)
 *   } catch (err) {
 *     sendVerifyError(res, err)
 *   }
 * })
 * ```
 */
export {
  keylessFastify,
  keylessExpress,
  authenticateRequest,
  sendVerifyError,
} from './middleware.js'

export { KeylessVerifyError, type VerifyErrorCode } from './errors.js'
