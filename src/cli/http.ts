// One HTTPS exchange over node:https, trusting the installation's CA besides the system roots.
// A failure to connect is "cannot reach Keyless" (exit 4); any HTTP answer is returned as is.
import { request } from 'node:https'
import { rootCertificates } from 'node:tls'
import { readResponse, type TextResponse } from '../common/read-response.js'
import { CliError, EXIT } from './errors.js'

export interface HttpRequest {
  method: string
  url: string
  headers?: Record<string, string>
  body?: string | Buffer
  caPem: string
  timeoutMs?: number
}

export type HttpResponse = TextResponse

const DEFAULT_TIMEOUT_MS = 60_000

function unreachable(url: string, err: Error & { code?: string }): CliError {
  const origin = new URL(url).origin
  const reason = err.code ?? err.message
  return new CliError(
    EXIT.unreachable,
    `cannot reach Keyless at ${origin} (${reason}); is it running? start it with \`keyless up\``,
    undefined,
    { cause: err },
  )
}

export function send(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body)
    const headers = { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) }
    const r = request(
      req.url,
      // agent: false, so no idle keep-alive socket holds the process open after the command
      { method: req.method, headers, ca: [...rootCertificates, req.caPem], agent: false },
      (res) => readResponse(res, resolve, (err) => reject(unreachable(req.url, err))),
    )
    r.setTimeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS, () =>
      r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    )
    r.on('error', (err) => reject(unreachable(req.url, err)))
    if (body) r.write(body)
    r.end()
  })
}
