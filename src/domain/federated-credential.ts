// The rules of a federated identity credential on a user-assigned identity, as Azure applies
// them (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations
// and the Graph federatedIdentityCredential resource): a name of 3-120 URL-friendly characters
// starting with a letter or digit; an https issuer; exactly one of `subject` and
// `claimsMatchingExpression` (api-version 2025-01-31-preview); one audience, default
// `api://AzureADTokenExchange`; each value at most 600 characters. Azure answers every violation
// with 400 `BadRequest`, so Keyless does too, with the failing property as `target`.
import { ExpressionSyntaxError, parseClaimsExpression } from './claims-expression.js'
import { BadRequest } from './errors.js'

export const FEDERATED_CREDENTIALS =
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials'
export const DEFAULT_FEDERATION_AUDIENCE = 'api://AzureADTokenExchange'
/** Keyless's default cap per identity, beyond Azure's 20 that users outgrow (per-branch,
 * per-environment subjects) (config `maxFederatedCredentials`): lookups go by issuer through an
 * index, so a token exchange reads only the credentials that trust the token's issuer. */
export const DEFAULT_MAX_FEDERATED_CREDENTIALS = 1000
const MAX_VALUE = 600
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/

export interface ClaimsMatchingExpression {
  value: string
  languageVersion: number
}

export interface FederatedCredentialInput {
  issuer: string
  subject?: string
  audiences: string[]
  claimsMatchingExpression?: ClaimsMatchingExpression
}

const bad = (message: string, target: string) => new BadRequest('BadRequest', message, { target })

export function validateFederatedCredentialName(name: string): void {
  if (!NAME.test(name)) {
    throw bad(
      `federated identity credential name '${name}' is invalid: it must be 3 to 120 characters, start with a letter or digit and contain only letters, digits, '-' and '_'`,
      'name',
    )
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function boundedString(v: unknown, target: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw bad(`'${target}' must be a non-empty string`, target)
  if (v.length > MAX_VALUE) throw bad(`'${target}' must be at most ${MAX_VALUE} characters`, target)
  return v
}

function httpsIssuer(v: unknown): string {
  const issuer = boundedString(v, 'properties.issuer')
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw bad(`issuer '${issuer}' is not a valid URL`, 'properties.issuer')
  }
  // The issuer is where discovery is fetched from: only https, and no credentials or fragment
  // that would make the `iss` comparison ambiguous.
  if (url.protocol !== 'https:' || url.username || url.password || url.hash) {
    throw bad(
      `issuer '${issuer}' must be an https URL without user info or fragment`,
      'properties.issuer',
    )
  }
  return issuer
}

function audiencesOf(v: unknown): string[] {
  if (v === undefined || v === null) return [DEFAULT_FEDERATION_AUDIENCE]
  if (!Array.isArray(v) || v.length !== 1) {
    throw bad("'properties.audiences' must hold exactly one audience", 'properties.audiences')
  }
  return [boundedString(v[0], 'properties.audiences')]
}

function expressionOf(v: unknown): ClaimsMatchingExpression {
  const target = 'properties.claimsMatchingExpression'
  if (!isObject(v)) throw bad(`'${target}' must be an object`, target)
  const value = boundedString(v.value, `${target}.value`)
  if (v.languageVersion !== 1) {
    throw bad(`'${target}.languageVersion' must be 1`, `${target}.languageVersion`)
  }
  try {
    parseClaimsExpression(value)
  } catch (e) {
    if (!(e instanceof ExpressionSyntaxError)) throw e
    throw bad(`'${target}.value' is not a valid expression: ${e.message}`, `${target}.value`)
  }
  return { value, languageVersion: 1 }
}

/** The credential a PUT body describes, or `BadRequest` naming the property at fault. */
export function parseFederatedCredentialBody(body: unknown): FederatedCredentialInput {
  const p = isObject(body) ? body.properties : undefined
  if (!isObject(p)) {
    throw bad("Federated Identity Credential must specify 'properties'", 'properties')
  }
  const issuer = httpsIssuer(p.issuer)
  const hasSubject = p.subject !== undefined && p.subject !== null
  const hasExpression =
    p.claimsMatchingExpression !== undefined && p.claimsMatchingExpression !== null
  if (hasSubject === hasExpression) {
    throw bad(
      "exactly one of 'properties.subject' and 'properties.claimsMatchingExpression' must be set",
      hasSubject ? 'properties.claimsMatchingExpression' : 'properties.subject',
    )
  }
  const audiences = audiencesOf(p.audiences)
  return hasSubject
    ? { issuer, subject: boundedString(p.subject, 'properties.subject'), audiences }
    : { issuer, audiences, claimsMatchingExpression: expressionOf(p.claimsMatchingExpression) }
}
