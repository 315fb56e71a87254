// The 200 body of each protocol (identity-protocols.md §3–5), rendered once per token, query
// shape and second: JSON.stringify rescans a 1–2 kB token on every call (about 5 µs on Node 20,
// most of the cost of a cached answer), while the body only changes with `expires_in`.
import type { IdentityQuery, ProtocolRules } from './identity-request.js'
import type { IssuedToken } from './token-source.js'

const two = (n: number) => String(n).padStart(2, '0')

/**
 * App Service's 2017-09-01 `expires_on`: a UTC date string, as its Linux workers write it
 * ("06/20/2019 02:57:58 +00:00"; Windows adds AM/PM). azure-identity (azure_ml.py
 * `_parse_expires_on`) and az (adal_authentication.py `_normalize_expires_on`) parse this form.
 */
export function legacyExpiresOn(epochS: number): string {
  const d = new Date(epochS * 1000)
  const date = `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()}`
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  return `${date} ${time} +00:00`
}

export function tokenBody(
  rules: ProtocolRules,
  token: IssuedToken,
  query: IdentityQuery,
  nowS: number,
): Record<string, string | number> {
  // Arc clients check the selector they sent comes back (case-insensitively): echo it as sent.
  const echo = (kind: string, actual: string) =>
    query.selector?.kind === kind ? query.selector.value : actual
  const clientId = echo('clientId', token.clientId)
  if (rules.name === 'appservice2017') {
    // The fields and order of az's recorded sample (adal_authentication.py).
    return {
      access_token: token.accessToken,
      expires_on: legacyExpiresOn(token.expiresOn),
      resource: query.resource,
      token_type: 'Bearer',
      client_id: clientId,
    }
  }
  if (rules.name === 'servicefabric') {
    // The docs' sample, in its order; `expires_on` a number there.
    return {
      token_type: 'Bearer',
      access_token: token.accessToken,
      expires_on: token.expiresOn,
      resource: query.resource,
    }
  }
  if (rules.name === 'appservice') {
    return {
      access_token: token.accessToken,
      expires_on: String(token.expiresOn),
      resource: query.resource,
      token_type: 'Bearer',
      client_id: clientId,
    }
  }
  const expiresIn = String(Math.max(0, token.expiresOn - nowS))
  const body: Record<string, string> = {
    access_token: token.accessToken,
    client_id: clientId,
    expires_in: expiresIn,
    expires_on: String(token.expiresOn),
    ext_expires_in: expiresIn,
  }
  if (token.notBefore !== undefined) body.not_before = String(token.notBefore)
  body.resource = query.resource
  body.token_type = 'Bearer'
  if (rules.name === 'arc') {
    body.object_id = echo('objectId', token.objectId)
    body.msi_res_id = echo('resourceId', token.msiResId)
  }
  return body
}

interface Rendered {
  nowS: number
  body: Buffer
}

/** Per token: a few query shapes (protocol, resource, selector) at most, each for one second. */
const rendered = new WeakMap<IssuedToken, Map<string, Rendered>>()
const MAX_SHAPES = 8

export function renderTokenBody(
  rules: ProtocolRules,
  token: IssuedToken,
  query: IdentityQuery,
  nowS: number,
): Buffer {
  const shape = `${rules.name}\n${query.resource}\n${query.selectorParam ?? ''}\n${query.selector?.value ?? ''}`
  let shapes = rendered.get(token)
  const hit = shapes?.get(shape)
  if (hit && hit.nowS === nowS) return hit.body
  const body = Buffer.from(JSON.stringify(tokenBody(rules, token, query, nowS)))
  if (!shapes) rendered.set(token, (shapes = new Map()))
  else if (shapes.size >= MAX_SHAPES && !hit) shapes.clear()
  shapes.set(shape, { nowS, body })
  return body
}
