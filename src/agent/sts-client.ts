// The agent as an OAuth client of the token service (common/agent-protocol.ts): client
// credentials with its own assertion, the calling resource in CALLER_PARAM and at most one
// selector. Network failures and 502–504 are retried briefly; refusals are not.
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeJwt } from 'jose'
import {
  ASSERTION_TYPE,
  CALLER_PARAM,
  PROCESS_SELECTORS_FIELD,
  SELECTOR_PARAMS,
  tokenEndpointVersion,
} from '../common/agent-protocol.js'
import type { Clock } from '../domain/clock.js'
import {
  hasSelectors,
  parseProcessSelectors,
  type ProcessSelectors,
} from '../domain/process-selectors.js'
import { signAssertion } from './assertion.js'
import type { HostCredential } from './credential.js'
import type { HttpsClient, HttpsResponse } from './https-client.js'
import {
  TokenRequestError,
  unreachable,
  type IssuedToken,
  type TokenRequest,
  type TokenSource,
} from './token-source.js'

/**
 * How the agent proves it is the host (common/agent-protocol.ts): its certificate as TLS client
 * certificate on kept-alive connections (RFC 8705 tls_client_auth, the default: no signature per
 * request), or a client assertion signed per request (RFC 7523 private_key_jwt), for servers
 * behind a proxy that ends TLS.
 */
export type HostAuthMethod = 'tls_client_auth' | 'private_key_jwt'

export interface StsClientOptions {
  credential: () => HostCredential
  /** Default tls_client_auth. */
  authMethod?: HostAuthMethod
  http: HttpsClient
  clock: Clock
  /** Delays of the retries after a network failure (default 100 ms, 400 ms). */
  retryDelaysMs?: readonly number[]
  timeoutMs?: number
}

const RETRIED_STATUS = new Set([502, 503, 504])

function tokenForm(c: HostCredential, request: TokenRequest, assertion?: string): string {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.hostId })
  if (assertion !== undefined) {
    form.set('client_assertion_type', ASSERTION_TYPE)
    form.set('client_assertion', assertion)
  }
  // v2 endpoints take `scope=<resource>/.default`; the server strips the suffix and keeps the
  // resource as requested, trailing slash included.
  if (tokenEndpointVersion(c.tokenEndpoint) === 'v2') {
    form.set('scope', `${request.resource}/.default`)
  } else form.set('resource', request.resource)
  form.set(CALLER_PARAM, request.callerResourceId)
  if (request.selector) form.set(SELECTOR_PARAMS[request.selector.kind], request.selector.value)
  return form.toString()
}

function parseJson(res: HttpsResponse): Record<string, unknown> {
  try {
    const v = JSON.parse(res.text) as unknown
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function retryAfter(res: HttpsResponse): number | undefined {
  const v = Number(res.headers['retry-after'])
  return Number.isFinite(v) && v >= 0 ? Math.ceil(v) : undefined
}

/** The token's own `exp` when it is a JWT (it is, from Keyless), else `expires_in` from now. */
function readToken(body: Record<string, unknown>, startedAtMs: number): IssuedToken {
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '')
  const accessToken = str('access_token')
  if (!accessToken)
    throw new TokenRequestError(502, 'server_error', 'the token service answered without a token')
  let expiresOn = Math.floor(startedAtMs / 1000) + Number(body.expires_in)
  let notBefore: number | undefined
  try {
    const claims = decodeJwt(accessToken)
    if (typeof claims.exp === 'number') expiresOn = claims.exp
    if (typeof claims.nbf === 'number') notBefore = claims.nbf
  } catch {
    // opaque token: keep expires_in
  }
  if (!Number.isFinite(expiresOn)) {
    throw new TokenRequestError(502, 'server_error', 'the token service answered without an expiry')
  }
  const selectors = readSelectors(body[PROCESS_SELECTORS_FIELD])
  return {
    accessToken,
    expiresOn,
    notBefore,
    clientId: str('client_id'),
    objectId: str('object_id'),
    msiResId: str('msi_res_id'),
    ...(selectors ? { selectors } : {}),
  }
}

/** The selectors the server sent; ones the agent cannot read refuse the token, never widen it. */
function readSelectors(raw: unknown): ProcessSelectors | undefined {
  if (raw === undefined) return undefined
  try {
    const selectors = parseProcessSelectors(JSON.parse(String(raw)), PROCESS_SELECTORS_FIELD)
    if (hasSelectors(selectors)) return selectors
  } catch {
    // below
  }
  throw new TokenRequestError(502, 'server_error', 'the token service sent unreadable selectors')
}

export function createStsClient(o: StsClientOptions): TokenSource {
  const delays = o.retryDelaysMs ?? [100, 400]
  const tls = o.authMethod !== 'private_key_jwt'
  // The key in PEM, once per credential (TLS options take PEM, not key objects).
  const pems = new WeakMap<HostCredential, { cert: string; key: string }>()
  const clientCertificate = (c: HostCredential) => {
    let pem = pems.get(c)
    if (!pem) {
      pem = {
        cert: c.certificatePem,
        key: c.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }
      pems.set(c, pem)
    }
    return pem
  }

  async function once(request: TokenRequest): Promise<IssuedToken> {
    const c = o.credential()
    const startedAt = o.clock.now()
    const assertion = tls ? undefined : await signAssertion(c, c.tokenEndpoint, o.clock)
    let res: HttpsResponse
    try {
      res = await o.http.send(c.tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: tokenForm(c, request, assertion),
        timeoutMs: o.timeoutMs ?? 10_000,
        ...(tls ? { clientCertificate: clientCertificate(c) } : {}),
      })
    } catch (err) {
      throw unreachable(err)
    }
    const body = parseJson(res)
    if (res.status === 200) return readToken(body, startedAt)
    const codes = Array.isArray(body.error_codes) ? (body.error_codes as number[]) : []
    throw new TokenRequestError(
      res.status,
      typeof body.error === 'string' ? body.error : 'server_error',
      typeof body.error_description === 'string' ? body.error_description : `HTTP ${res.status}`,
      codes,
      retryAfter(res),
    )
  }

  return {
    async requestToken(request) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(request)
        } catch (err) {
          const retriable =
            err instanceof TokenRequestError && (err.status === 0 || RETRIED_STATUS.has(err.status))
          if (!retriable || attempt >= delays.length) throw err
          await sleep(delays[attempt])
        }
      }
    },
  }
}
