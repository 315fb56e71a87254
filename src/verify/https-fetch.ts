// A minimal fetch over node:https that can trust a private CA (Keyless's own), for the JWKS and
// checkAccess calls. Node's global fetch cannot take a CA without extra dependencies.
import { request } from 'node:https'

export interface HttpsFetchOptions {
  /** PEM of the CA to trust; replaces the system CAs for these requests when given. */
  ca?: string | Buffer
  timeoutMs?: number
  /** Let the process exit while a request is in flight (for long polls in the background). */
  unref?: boolean
}

export function createHttpsFetch({ ca, timeoutMs = 5_000, unref = false }: HttpsFetchOptions = {}) {
  return (
    url: string,
    init: {
      method?: string
      headers?: Record<string, string> | Headers
      body?: string
      signal?: AbortSignal
    } = {},
  ): Promise<Response> =>
    new Promise((resolve, reject) => {
      const headers =
        init.headers instanceof Headers ? Object.fromEntries(init.headers) : init.headers
      const req = request(
        url,
        { method: init.method ?? 'GET', headers, ca, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 500,
                headers: Object.entries(res.headers).flatMap(([k, v]) =>
                  v === undefined
                    ? []
                    : (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, x]),
                ),
              }),
            ),
          )
          res.on('error', reject)
        },
      )
      if (unref) req.on('socket', (socket) => socket.unref())
      req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)))
      req.on('error', reject)
      init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')))
      if (init.body !== undefined) req.write(init.body)
      req.end()
    })
}

export type HttpsFetch = ReturnType<typeof createHttpsFetch>
