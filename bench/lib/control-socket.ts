// Requests to the agent's control API over its Unix socket (what `keyless run` does).
import { request } from 'node:http'

export function controlRequest(socketPath: string, method: string, path: string, body?: unknown) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: text === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let out = ''
        res.on('data', (c: Buffer) => (out += c.toString()))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: out ? JSON.parse(out) : undefined }),
        )
      },
    )
    req.on('error', reject)
    if (text !== undefined) req.write(text)
    req.end()
  })
}
