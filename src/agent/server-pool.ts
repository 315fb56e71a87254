// Several Keyless servers (replicas, or a load balancer and replicas behind it) for one agent.
// Every request to any of them is tried on the one that answered last, then on the others in
// the order given, while the answer is "no answer" (a network error) or a gateway's 502–504:
// a request the servers refused is never retried elsewhere. The URLs the server hands out (its
// public URL: the token endpoint, the events URL) keep their paths and are sent to whichever
// server is up; assertions stay addressed to those URLs, the same on every replica.
import type { IncomingMessage } from 'node:http'
import type { HttpsClient, HttpsRequest, HttpsResponse } from './https-client.js'

const FAILOVER_STATUS = new Set([502, 503, 504])

export interface ServerPool extends HttpsClient {
  /** The origin requests go to first. */
  readonly preferred: string
  /** Attempts sent, and those that moved on to another server. */
  readonly stats: { attempts: number; failovers: number }
}

export function createServerPool(http: HttpsClient, serverUrls: readonly string[]): ServerPool {
  const origins = [
    ...new Set(
      serverUrls.map((u) => {
        const url = new URL(u)
        if (url.protocol !== 'https:')
          throw new TypeError(`the Keyless server must be https, not ${u}`)
        return url.origin
      }),
    ),
  ]
  if (origins.length === 0) throw new TypeError('the agent needs at least one server URL')
  let preferred = origins[0]!
  const stats = { attempts: 0, failovers: 0 }

  /** Where to send `url`: its path on the preferred server first, then on the others, then as
   * given (a public URL that is none of them). */
  function targets(url: string): string[] {
    const u = new URL(url)
    const rest = u.pathname + u.search
    const order = [preferred, ...origins.filter((o) => o !== preferred)]
    const list = order.map((o) => o + rest)
    return origins.includes(u.origin) ? list : [...list, url]
  }

  async function attempt<T>(
    url: string,
    send: (target: string) => Promise<T>,
    statusOf: (answer: T) => number,
    discard: (answer: T) => void,
  ): Promise<T> {
    let failure: unknown
    const list = targets(url)
    for (const [i, target] of list.entries()) {
      if (i > 0) stats.failovers++
      stats.attempts++
      try {
        const answer = await send(target)
        if (i < list.length - 1 && FAILOVER_STATUS.has(statusOf(answer))) {
          discard(answer)
          continue
        }
        const origin = new URL(target).origin
        if (origins.includes(origin)) preferred = origin
        return answer
      } catch (err) {
        failure = err
      }
    }
    throw failure
  }

  return {
    get preferred() {
      return preferred
    },
    stats,
    send: (url: string, init?: HttpsRequest): Promise<HttpsResponse> =>
      attempt(
        url,
        (t) => http.send(t, init),
        (r) => r.status,
        () => undefined,
      ),
    stream: (url: string, init?: HttpsRequest): Promise<IncomingMessage> =>
      attempt(
        url,
        (t) => http.stream(t, init),
        (r) => r.statusCode ?? 0,
        (r) => r.destroy(),
      ),
    trust: (caPem: string) => http.trust(caPem),
    close: () => http.close(),
  }
}
