// The CLI's client for the Keyless HTTP API: the operator's client-credentials token (fetched
// once per process), ARM requests with `api-version`, `nextLink` paging and 202 polling.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Installation } from './installation.js'
import { send, type HttpResponse } from './http.js'
import { apiError } from './api-error.js'
import { CliError, EXIT } from './errors.js'
import { tokenEndpointPath } from '../common/agent-protocol.js'

export interface RequestOptions {
  apiVersion?: string
  query?: Record<string, string>
  body?: unknown
}

export interface ArmClient {
  readonly subscriptionId: string
  readonly tenantId: string
  /** Sends one request; resolves to the parsed body (`undefined` when empty), throws CliError. */
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>
  /** GET a collection and every page after it through `nextLink`. */
  list<T = unknown>(path: string, options?: RequestOptions): Promise<T[]>
  /** The operator's token for another resource (a data plane: `https://vault.azure.net`). */
  tokenFor(resource: string): Promise<string>
}

const USER_AGENT = 'keyless-cli/0.1.0'
/** How long a 202 (a resource group delete) is polled before giving up. */
const POLL_LIMIT_MS = 10 * 60_000

const trimSlash = (s: string) => s.replace(/\/+$/, '')

function pollUrl(res: HttpResponse): string | undefined {
  const link = res.headers.location ?? res.headers['azure-asyncoperation']
  return typeof link === 'string' && link ? link : undefined
}

function retryDelayMs(res: HttpResponse): number {
  const seconds = Number(res.headers['retry-after'])
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 500
}

function parseBody(res: HttpResponse): unknown {
  if (res.text.trim() === '') return undefined
  try {
    return JSON.parse(res.text)
  } catch {
    throw new CliError(
      EXIT.apiError,
      `the server answered ${res.status} with a body that is not JSON`,
    )
  }
}

export function createArmClient(installation: Installation): ArmClient {
  const { endpoints, credential, caPem } = installation
  const base = trimSlash(endpoints.managementEndpoint)
  const origin = new URL(base).origin
  let token: Promise<string> | undefined

  async function fetchToken(resource = base): Promise<string> {
    const url = `${trimSlash(endpoints.authorityHost)}${tokenEndpointPath(
      encodeURIComponent(credential.tenantId),
    )}`
    const res = await send({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credential.clientId,
        client_secret: credential.clientSecret,
        scope: `${trimSlash(resource)}/.default`,
      }).toString(),
      caPem,
    })
    if (res.status !== 200) throw apiError(res)
    const accessToken = (parseBody(res) as { access_token?: unknown } | undefined)?.access_token
    if (typeof accessToken !== 'string') {
      throw new CliError(EXIT.apiError, 'the token endpoint answered without an access_token')
    }
    return accessToken
  }

  async function exchange(method: string, url: string, body?: unknown): Promise<HttpResponse> {
    // The operator's token goes to the management endpoint only, whatever a nextLink says.
    if (new URL(url).origin !== origin) {
      throw new CliError(EXIT.apiError, `refusing to follow a link off ${origin}: ${url}`)
    }
    token ??= fetchToken()
    const headers: Record<string, string> = {
      authorization: `Bearer ${await token}`,
      accept: 'application/json',
      'user-agent': USER_AGENT,
      'x-ms-client-request-id': randomUUID(),
    }
    if (body !== undefined) headers['content-type'] = 'application/json'
    return send({
      method,
      url,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      caPem,
    })
  }

  /** Follows a 202's `Location` (or `Azure-AsyncOperation`) until the operation settles. */
  async function settle(res: HttpResponse): Promise<HttpResponse> {
    const deadline = Date.now() + POLL_LIMIT_MS
    let current = res
    let next = pollUrl(current)
    while (current.status === 202 && next) {
      if (Date.now() > deadline) {
        throw new CliError(
          EXIT.apiError,
          'the operation did not finish in time',
          'OperationTimeout',
        )
      }
      await sleep(retryDelayMs(current))
      current = await exchange('GET', new URL(next, base).toString())
      next = pollUrl(current) ?? next
    }
    return current
  }

  function url(path: string, options: RequestOptions): string {
    const query = new URLSearchParams(options.query)
    if (options.apiVersion) query.set('api-version', options.apiVersion)
    const qs = query.toString()
    return `${base}${path}${qs ? `?${qs}` : ''}`
  }

  async function request<T>(method: string, path: string, options: RequestOptions = {}) {
    const res = await settle(await exchange(method, url(path, options), options.body))
    if (res.status >= 400) throw apiError(res)
    return parseBody(res) as T
  }

  async function list<T>(path: string, options: RequestOptions = {}): Promise<T[]> {
    const items: T[] = []
    let next: string | undefined = url(path, options)
    while (next) {
      const res = await exchange('GET', next)
      if (res.status >= 400) throw apiError(res)
      const page = parseBody(res) as { value?: unknown; nextLink?: unknown } | undefined
      if (!Array.isArray(page?.value)) {
        throw new CliError(EXIT.apiError, 'the server answered a list without a value array')
      }
      items.push(...(page.value as T[]))
      next = typeof page.nextLink === 'string' && page.nextLink ? page.nextLink : undefined
    }
    return items
  }

  return {
    subscriptionId: endpoints.subscriptionId,
    tenantId: endpoints.tenantId,
    request,
    list,
    tokenFor: (resource) => fetchToken(resource),
  }
}
