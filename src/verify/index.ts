// `keyless/verify`: accept Keyless tokens in your own Node service and ask Keyless's RBAC what
// a caller may do. Imports only domain/ and common/ (it runs in users' processes). The docs
// and examples sit on the declarations (verifier.ts, authorizer.ts, middleware.ts), where
// editors show them.

export {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type KeylessPrincipal,
} from './verifier.js'

export {
  createAuthorizer,
  CHECK_ACCESS_PATH,
  type Authorizer,
  type AuthorizerOptions,
  type AccessDecision,
} from './authorizer.js'

export {
  keylessFastify,
  keylessExpress,
  authenticateRequest,
  sendVerifyError,
} from './middleware.js'

export { KeylessVerifyError, type VerifyErrorCode } from './errors.js'
