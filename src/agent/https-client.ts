// HTTPS to the Keyless server, and a keep-alive agent so token requests reuse connections.
// With the installation's CA known, the agent trusts that CA alone: a publicly trusted
// certificate for the server's name (a compromised or coerced public CA) cannot impersonate it.
// `trustSystemRoots` adds the system roots, for a server behind a publicly trusted certificate;
// without a CA, the system roots are all there is.
import { Agent, request, type RequestOptions } from 'node:https'
import type { IncomingMessage } from 'node:http'
import { rootCertificates } from 'node:tls'
import { readResponse, type TextResponse } from '../common/read-response.js'

export type HttpsResponse = TextResponse

export interface HttpsRequest {
  method?: string
  headers?: Record<string, string>
  body?: string
  timeoutMs?: number
  /** A TLS client certificate (PEM) and its key (PEM): connections are pooled per pair. */
  clientCertificate?: { cert: string; key: string }
}

export type HttpsClient = ReturnType<typeof createHttpsClient>

export interface HttpsTrust {
  caPem?: string
  trustSystemRoots?: boolean
}

/** The CA list for node:https: undefined means Node's default (the system roots). */
export function trustedCas(o: HttpsTrust): string[] | undefined {
  if (!o.caPem) return undefined
  return o.trustSystemRoots ? [...rootCertificates, o.caPem] : [o.caPem]
}

export function createHttpsClient(options: HttpsTrust = {}) {
  const newAgent = (o: HttpsTrust) =>
    new Agent({ keepAlive: true, maxSockets: 32, ca: trustedCas(o) })
  let agent = newAgent(options)
  // Agents replaced by trust(): their open connections (the event stream) run on until they end.
  const replaced: Agent[] = []

  const checkUrl = (url: string): URL => {
    const u = new URL(url)
    if (u.protocol !== 'https:') throw new TypeError(`the Keyless server must be https, not ${url}`)
    return u
  }

  function open(url: string, init: HttpsRequest, onResponse: (res: IncomingMessage) => void) {
    const u = checkUrl(url)
    const body = init.body === undefined ? undefined : Buffer.from(init.body)
    const opts: RequestOptions = {
      method: init.method ?? 'GET',
      headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      agent,
      // The agent keys its pool by cert and key too: a renewed certificate opens new connections.
      ...init.clientCertificate,
    }
    const req = request(u, opts, onResponse)
    if (init.timeoutMs) req.setTimeout(init.timeoutMs, () => req.destroy(new Error('timeout')))
    req.end(body)
    return req
  }

  return {
    /** Sends a request and reads the whole answer. Rejects only when no answer came. */
    send(url: string, init: HttpsRequest = {}): Promise<HttpsResponse> {
      return new Promise((resolve, reject) => {
        const req = open(url, { timeoutMs: 15_000, ...init }, (res) =>
          readResponse(res, resolve, reject),
        )
        req.on('error', reject)
      })
    },
    /** Opens a long-lived response (the event stream); the caller consumes or destroys it. */
    stream(url: string, init: HttpsRequest = {}): Promise<IncomingMessage> {
      return new Promise((resolve, reject) => {
        const req = open(url, init, resolve)
        req.on('error', reject)
        req.on('socket', (s) => s.setKeepAlive(true, 10_000))
      })
    },
    /** Trusts another CA bundle (after a CA rotation) for every new connection. */
    trust(caPem: string): void {
      replaced.push(agent)
      // Idle connections go now; busy ones (the event stream) when they end.
      for (const sockets of Object.values(agent.freeSockets))
        for (const s of sockets ?? []) s.destroy()
      agent = newAgent({ ...options, caPem })
    },
    close(): void {
      agent.destroy()
      for (const a of replaced) a.destroy()
    },
  }
}
