// Plain HTTPS requests that trust Keyless's generated CA, for tests that send exactly the bytes
// they mean to (bad inputs included) rather than what an SDK would send.
import { request as httpsRequest } from 'node:https'

export interface HttpResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
}

export function https(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string>
    body?: string | Buffer
    ca: string
  },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, ca: options.ca, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text),
          })
        })
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
