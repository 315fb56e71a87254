// Plain HTTPS requests that trust Keyless's generated CA, for tests that send exactly the bytes
// they mean to (bad inputs included) rather than what an SDK would send.
import { request as httpsRequest, type Agent } from 'node:https'
import { readAnswer, type Answer } from '../../src/agent/test-http.js'

export type HttpResult = Answer

/** The request's own connection, trusting `ca`; or one of `agent`'s, with the TLS options the
 * agent was made with. */
export type Connection = { ca: string; agent?: undefined } | { agent: Agent; ca?: undefined }

export function https(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string>
    body?: string | Buffer
  } & Connection,
): Promise<HttpResult> {
  const connection = options.agent ? { agent: options.agent } : { ca: options.ca, agent: false }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, ...connection },
      (res) => {
        readAnswer(res, resolve)
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })
}

export function form(fields: Record<string, string> | [string, string][]): string {
  return new URLSearchParams(fields as Record<string, string>).toString()
}
