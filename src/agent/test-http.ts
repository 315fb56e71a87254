// Plain HTTP for the agent's tests: exactly the bytes a test means to send, to a port or to the
// control socket.
import { request } from 'node:http'

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
}

export function call(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string; socketPath?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: o.method ?? 'GET', headers: o.headers, socketPath: o.socketPath, agent: false },
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
      },
    )
    req.on('error', reject)
    req.end(o.body)
  })
}
