// The whole of an HTTP response as text, as the agent's client, the CLI and the tests read it.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

export interface TextResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** The same body as bytes (a downloaded blob is not text). */
  body?: Buffer
}

/** Collects `res` and hands it to `done` once it has ended, or its error to `fail`. */
export function readResponse(
  res: IncomingMessage,
  done: (response: TextResponse) => void,
  fail: (err: Error) => void = () => undefined,
): void {
  const chunks: Buffer[] = []
  res.on('data', (c: Buffer) => chunks.push(c))
  res.on('end', () => {
    const body = Buffer.concat(chunks)
    done({ status: res.statusCode ?? 0, headers: res.headers, text: body.toString('utf8'), body })
  })
  res.on('error', fail)
}
