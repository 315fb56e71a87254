// Plain HTTP for the agent's tests: exactly the bytes a test means to send, to a port or to the
// control socket. `readAnswer` also serves test/helpers/https.ts, the HTTPS variant.
import { request, type IncomingMessage } from 'node:http'
import { readResponse } from '../common/read-response.js'

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
}

/** Reads the whole of `res` and hands it to `done` once it has ended. */
export function readAnswer(res: IncomingMessage, done: (answer: Answer) => void): void {
  readResponse(res, (r) => done({ ...r, json: () => JSON.parse(r.text) }))
}

export function call(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string; socketPath?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: o.method ?? 'GET', headers: o.headers, socketPath: o.socketPath, agent: false },
      (res) => readAnswer(res, resolve),
    )
    req.on('error', reject)
    req.end(o.body)
  })
}
