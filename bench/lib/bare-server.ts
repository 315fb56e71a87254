// A bare node:http (or node:https) server answering each path with a fixed JSON body: the
// baseline for Keyless's identity endpoints and its vault. Writes its port to a file once
// listening.
//
//   node dist/bench/lib/bare-server.js '{"/path": bodyBytes, …}' <portFile> [<optionsFile>]
//
// The options file (JSON, BareOptions) gives exact bodies by path and a TLS key and certificate.
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

export interface BareOptions {
  /** Bodies answered byte for byte, by path. */
  exact?: Record<string, string>
  tls?: { certPem: string; keyPem: string }
}

const sizes = JSON.parse(process.argv[2] ?? '{}') as Record<string, number>
const portFile = process.argv[3]!
const options = (
  process.argv[4] ? JSON.parse(readFileSync(process.argv[4], 'utf8')) : {}
) as BareOptions
const bodies = new Map(
  Object.entries(sizes).map(([path, size]) => {
    const filler = 'x'.repeat(Math.max(0, size - '{"access_token":""}'.length))
    return [path, JSON.stringify({ access_token: filler })]
  }),
)
for (const [path, body] of Object.entries(options.exact ?? {})) bodies.set(path, body)
const answer = (req: IncomingMessage, res: ServerResponse) => {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const body = bodies.get(q < 0 ? url : url.slice(0, q)) ?? '{}'
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body)
}
const server = options.tls
  ? createTlsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, answer)
  : createServer(answer)
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  writeFileSync(portFile, String((server.address() as AddressInfo).port))
})
process.once('SIGTERM', () => process.exit(0))
